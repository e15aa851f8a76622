/**
 * The hosted UI's HTML: a plain sign-in form and an error page. No scripts, no external assets,
 * every value escaped. Stable hooks for browser tests: `form#loginForm`, `input#username`
 * (name=username), `input#password` (name=password), `button#signInSubmitButton`, and the error
 * `p#loginErrorMessage` (role=alert). Names follow Cognito's classic hosted UI.
 */
const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

const STYLE = `body{font-family:system-ui,sans-serif;max-width:22rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}
label{display:block;margin-top:1rem;font-weight:600}
input{width:100%;box-sizing:border-box;padding:.5rem;margin-top:.25rem;font-size:1rem}
button{margin-top:1.5rem;width:100%;padding:.6rem;font-size:1rem;background:#0b5cad;color:#fff;border:0;border-radius:4px}
.error{color:#a00000;background:#fdecec;border:1px solid #a00000;padding:.5rem;border-radius:4px}
.note{color:#555;font-size:.85rem;margin-top:2rem}`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export function loginPage(options: {
  action: string;
  clientName: string;
  error?: string;
  username?: string;
}) {
  const error = options.error
    ? `<p id="loginErrorMessage" class="error" role="alert">${escapeHtml(options.error)}</p>\n`
    : "";
  return layout(
    "Sign in",
    `<h1>Sign in</h1>
<p>to <strong>${escapeHtml(options.clientName)}</strong> (TinyLlama local Cognito)</p>
${error}<form id="loginForm" method="post" action="${escapeHtml(options.action)}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" required value="${escapeHtml(options.username ?? "")}"${options.error ? "" : " autofocus"}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${options.error ? " autofocus" : ""}>
<button id="signInSubmitButton" name="signInSubmitButton" type="submit">Sign in</button>
</form>
<p class="note">Local users and passwords are listed in config/platform.json.</p>`,
  );
}

export function errorPage(options: { error: string; description?: string | undefined }) {
  const detail = options.description
    ? `<p id="errorDescription">${escapeHtml(options.description)}</p>\n`
    : "";
  return layout(
    "Error",
    `<h1>An error was encountered with the requested page.</h1>
<p id="errorCode" class="error" role="alert">${escapeHtml(options.error)}</p>
${detail}`,
  );
}
