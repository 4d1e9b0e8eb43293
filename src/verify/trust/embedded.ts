import type { TrustedRoot } from '@sigstore/protobuf-specs';
import publicGoodJson from './public-good.trusted_root.json' with { type: 'json' };
import stagingJson from './staging.trusted_root.json' with { type: 'json' };
import { parseTrustedRoot } from './trusted-root.js';

let publicGood: TrustedRoot | undefined;
let staging: TrustedRoot | undefined;

/**
 * The Sigstore public-good trusted root shipped with vouch (origin and date in README.md beside it).
 * It is the default for keyless verification; nothing is fetched.
 */
export function publicGoodTrustedRoot(): TrustedRoot {
  publicGood ??= parseTrustedRoot(publicGoodJson, 'embedded public-good trusted_root.json');
  return publicGood;
}

/** The Sigstore staging trusted root (`--staging`). */
export function stagingTrustedRoot(): TrustedRoot {
  staging ??= parseTrustedRoot(stagingJson, 'embedded staging trusted_root.json');
  return staging;
}
