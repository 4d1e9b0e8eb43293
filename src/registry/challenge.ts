/** One parsed `WWW-Authenticate` challenge: a scheme and its parameters. */
export interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

/**
 * Parses a `WWW-Authenticate` header value (RFC 7235): `Bearer realm="…",service="…",scope="…"` or
 * `Basic realm="…"`. Returns undefined for schemes vouch does not speak.
 */
export function parseChallenge(header: string | null | undefined): Challenge | undefined {
  if (!header) return undefined;
  const match = /^\s*([A-Za-z][A-Za-z0-9._~+/-]*)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const scheme = (match[1] as string).toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined;
  const params: Record<string, string> = {};
  const pattern = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*(?:,|$)/gy;
  const rest = match[2] as string;
  pattern.lastIndex = 0;
  let param: RegExpExecArray | null;
  // biome-ignore lint/suspicious/noAssignInExpressions: the usual exec loop.
  while ((param = pattern.exec(rest)) !== null) {
    const value = param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : (param[3] ?? '');
    params[(param[1] as string).toLowerCase()] = value;
    if (pattern.lastIndex >= rest.length) break;
  }
  return { scheme, params };
}
