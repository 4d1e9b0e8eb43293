/**
 * TrustRoots made during one import: one per distinct set of custom trust material, shared by every
 * authority that needs it, named `<tool>-trust-<n>`.
 */
import type { Scope } from './report.js';
import { type TrustParts, trustedRootJson, trustRootDocument } from './trust.js';

function describeParts(parts: TrustParts): string {
  const named = [
    parts.tlogs !== undefined && 'Rekor log keys',
    parts.ctlogs !== undefined && 'CT log keys',
    parts.timestampAuthorities !== undefined && 'timestamp authorities',
  ].filter((part): part is string => typeof part === 'string');
  return named.join(' and ');
}

export class TrustRoots {
  private readonly made = new Map<string, string>();

  constructor(private readonly prefix: string) {}

  /** The TrustRoot holding `parts` (written on first use); undefined, reported, when the parts are unusable. */
  get(parts: TrustParts, scope: Scope): string | undefined {
    const key = JSON.stringify(parts);
    const known = this.made.get(key);
    if (known !== undefined) return known;
    const json = trustedRootJson(parts);
    if (!json.ok) {
      scope.dropped('', `trust material not imported: ${json.problem}`);
      return undefined;
    }
    const name = scope.name('TrustRoot', `${this.prefix}-trust-${this.made.size + 1}`);
    scope.draft('TrustRoot', name, trustRootDocument(name, json.value));
    scope.translated(
      '',
      `TrustRoot ${name}: the public-good trusted root with the given ${describeParts(parts)} instead; inline keys are trusted for entries of any date, as the source tool trusts them`,
    );
    this.made.set(key, name);
    return name;
  }
}
