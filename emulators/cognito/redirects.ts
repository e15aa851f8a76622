/**
 * redirect_uri and logout_uri matching. Cognito compares the whole string with the registered
 * CallbackURLs (scheme, host, port, path, trailing slash). With `allowAnyLoopbackPort` (opt-in,
 * RFC 8252 7.3) a registered loopback URL also matches the same URL on any other port.
 */
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

export function matchesRegistered(
  requested: string,
  registered: readonly string[],
  anyLoopbackPort: boolean,
) {
  if (registered.includes(requested)) return true;
  if (!anyLoopbackPort) return false;
  const asked = parse(requested);
  if (asked?.protocol !== "http:" || !LOOPBACK_HOSTS.has(asked.hostname)) return false;
  // Only plain, already-normal URLs: no user info, fragment, dot segments or default-port tricks.
  if (asked.username || asked.password || asked.hash || asked.href !== requested) return false;
  return registered.some((r) => {
    const known = parse(r);
    return (
      known !== undefined &&
      known.protocol === "http:" &&
      known.hostname === asked.hostname &&
      known.pathname === asked.pathname &&
      known.search === asked.search
    );
  });
}

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** `url` with `params` added to its query (undefined values left out). */
export function withParams(url: string, params: Record<string, string | undefined>): string {
  const target = new URL(url);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) target.searchParams.append(k, v);
  return target.href;
}
