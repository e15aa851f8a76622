/**
 * Opens a URL in the system browser: `$BROWSER` when set (the common Unix convention), else
 * `open` on macOS, `cmd /c start` on Windows, `xdg-open` elsewhere. Resolves once the opener has
 * started; rejects when it cannot be started or fails at once, so the caller can print the URL.
 */
import { spawn } from "node:child_process";

export function browserCommand(
  url: string,
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): { command: string; args: string[]; verbatim?: boolean } {
  const chosen = env.BROWSER?.split(":")[0]?.trim();
  if (chosen) return { command: chosen, args: [url] };
  if (platform === "darwin") return { command: "open", args: [url] };
  // `start` is a cmd built-in; its first quoted argument is a window title, and & must be escaped.
  if (platform === "win32")
    return { command: "cmd", args: ["/c", "start", '""', `"${url.replaceAll("&", "^&")}"`], verbatim: true };
  return { command: "xdg-open", args: [url] };
}

export function openBrowser(url: string): Promise<void> {
  const { command, args, verbatim } = browserCommand(url);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      detached: true,
      stdio: "ignore",
      ...(verbatim ? { windowsVerbatimArguments: true } : {}),
    });
    const early = setTimeout(() => {
      child.unref();
      resolve();
    }, 300);
    child.once("error", (err) => {
      clearTimeout(early);
      reject(
        new Error(`${command} could not be started (${(err as NodeJS.ErrnoException).code ?? err.message})`),
      );
    });
    child.once("exit", (code) => {
      clearTimeout(early);
      if (code === 0) resolve();
      else reject(new Error(`${command} exited with ${code}`));
    });
  });
}
