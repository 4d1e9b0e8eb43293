/**
 * Trust material for authorities, from the policy set's TrustRoots or the embedded public-good root.
 * Each TrustRoot is converted once per policy set; a TrustRoot vouch cannot use (a TUF repository, a
 * malformed key) becomes a problem of the authorities that refer to it, never a silent fallback.
 */
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { describeError, VouchError } from '../../errors.js';
import { parsePublicKey, publicKeyFromSpki } from '../../signature/index.js';
import { type RekorKey, rekorKey } from '../../verify/authority.js';
import { publicGoodTrustedRoot } from '../../verify/trust/embedded.js';
import { parseTrustedRootText } from '../../verify/trust/trusted-root.js';
import { refuseTufTrustRoot, trustedRootFromSigstoreKeys } from '../../verify/trust/trustroot-resource.js';
import { PolicyError, unusableAuthority } from '../errors.js';
import { canonicalHash } from '../fingerprint.js';
import type { CompiledTrustRoot, PolicySet } from '../model.js';

let embeddedFingerprint: string | undefined;

/** A hash of the embedded public-good trusted root: part of the fingerprint of verdicts that use it. */
export function embeddedRootFingerprint(): string {
  embeddedFingerprint ??= `embedded-root:${canonicalHash(TrustedRoot.toJSON(publicGoodTrustedRoot()))}`;
  return embeddedFingerprint;
}

export class TrustResolver {
  private readonly roots = new Map<string, TrustedRoot | PolicyError>();
  private readonly rekor = new Map<string, RekorKey[] | PolicyError>();

  constructor(private readonly set: PolicySet) {}

  /** The TrustRoot named `name` as a trusted root; throws PolicyError UNUSABLE_AUTHORITY. */
  trustedRoot(name: string): TrustedRoot {
    let root = this.roots.get(name);
    if (root === undefined) {
      root = attempt(() => toTrustedRoot(this.resource(name)));
      this.roots.set(name, root);
    }
    if (root instanceof PolicyError) throw root;
    return root;
  }

  /** The embedded Sigstore public-good trusted root (nothing is fetched). */
  embedded(): TrustedRoot {
    return publicGoodTrustedRoot();
  }

  /** Rekor keys of the TrustRoot `name` (its `tLogs`), or of the embedded root; throws PolicyError UNUSABLE_AUTHORITY. */
  rekorKeys(name: string | undefined): RekorKey[] {
    const key = name ?? '';
    let keys = this.rekor.get(key);
    if (keys === undefined) {
      keys = attempt(() => {
        const found = name === undefined ? rekorKeysOf(this.embedded()) : this.rekorKeysOfResource(name);
        if (found.length === 0)
          throw unusableAuthority(
            `${name === undefined ? 'the embedded public-good trusted root' : `TrustRoot ${JSON.stringify(name)}`} holds no transparency log (Rekor) key`,
          );
        return found;
      });
      this.rekor.set(key, keys);
    }
    if (keys instanceof PolicyError) throw keys;
    return keys;
  }

  private rekorKeysOfResource(name: string): RekorKey[] {
    const root = this.resource(name);
    // A TrustRoot given as sigstoreKeys may hold only tLogs (enough for a key authority's ctlog), which
    // the keyless converter refuses (it wants a CA): read the keys straight from it.
    if (root.spec.type === 'sigstoreKeys')
      return root.spec.tLogs.map((log, index) =>
        rekorKey(parsePublicKey(log.publicKey, `TrustRoot ${name} tLogs[${index}] publicKey`), log.baseURL),
      );
    return rekorKeysOf(this.trustedRoot(name));
  }

  private resource(name: string): CompiledTrustRoot {
    const root = this.set.trustRoots[name];
    if (root === undefined) throw unusableAuthority(`trustRootRef ${JSON.stringify(name)} not found`);
    return root;
  }
}

function attempt<T>(build: () => T): T | PolicyError {
  try {
    return build();
  } catch (error) {
    if (error instanceof PolicyError) return error;
    if (error instanceof VouchError) return unusableAuthority(describeError(error), error);
    throw error;
  }
}

/** A compiled TrustRoot (validated and decoded once, when it was loaded) as a trusted root. */
function toTrustedRoot(root: CompiledTrustRoot): TrustedRoot {
  const spec = root.spec;
  const what = `TrustRoot ${root.name} (${root.origin})`;
  switch (spec.type) {
    case 'trustedRootJSON':
      return parseTrustedRootText(spec.trustedRootJSON, `TrustRoot ${root.name} spec.trustedRootJSON`);
    case 'sigstoreKeys':
      return trustedRootFromSigstoreKeys(spec, what);
    default:
      return refuseTufTrustRoot(what, spec.type);
  }
}

function rekorKeysOf(root: TrustedRoot): RekorKey[] {
  const keys: RekorKey[] = [];
  for (const log of root.tlogs) {
    const raw = log.publicKey?.rawBytes;
    if (raw === undefined || raw.length === 0) continue;
    try {
      keys.push(rekorKey(publicKeyFromSpki(raw, `transparency log ${log.baseUrl} key`), log.baseUrl));
    } catch (error) {
      // A log key of a type vouch cannot verify with is not one a signature could be checked against.
      if (!(error instanceof VouchError)) throw error;
    }
  }
  return keys;
}
