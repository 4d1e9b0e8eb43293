import { createHash } from 'node:crypto';
import type { Repository } from '../registry/index.js';
import type { PublicKey } from '../signature/index.js';
import type { SignatureFormatName } from './formats.js';
import type { KeylessPolicy } from './keyless/policy.js';
import type { VerifyingKindName } from './kinds.js';
import type { TrustedRoot } from './trust/trusted-root.js';

/** A Rekor (transparency log) public key, named by its log ID as Rekor entries name it. */
export interface RekorKey {
  /** Hex SHA-256 of the key's DER SubjectPublicKeyInfo. */
  logId: string;
  key: PublicKey;
  /**
   * The log's URL, when known (from a TrustRoot): a bundle's inclusion-proof checkpoint is signed under
   * the log's name, which must be part of it. Without it only Rekor v1 inclusion promises can be checked.
   */
  baseUrl?: string;
}

export function rekorKey(key: PublicKey, baseUrl?: string): RekorKey {
  return {
    logId: createHash('sha256').update(key.spki).digest('hex'),
    key,
    ...(baseUrl !== undefined && baseUrl !== '' && { baseUrl }),
  };
}

/** Where an authority's signatures live, when not beside the image. */
export interface SignatureSource {
  /** `source.oci` / `--signature-repository` / COSIGN_REPOSITORY. */
  signatureRepository?: Repository;
  /** `source.tagPrefix`: prefix before `sha256-<hex>.sig` / `.att`. */
  tagPrefix?: string;
}

/** Checks an authority was told to skip, said in its outcome: warnings, and whether the log is one. */
export interface AuthorityNotes {
  warnings: readonly string[];
  tlogIgnored: boolean;
}

/** What every verifying authority carries besides its trust material. */
export interface AuthorityCommon {
  /** For messages and the verdict (`authority-0`, a CIP authority name, `--key` for the CLI). */
  name: string;
  source?: SignatureSource;
  /** `signatureFormat`: only this format counts; unset: every format the kind reads (`kinds.ts`). */
  signatureFormat?: SignatureFormatName;
  /** Checks it was told to skip, warned of in every outcome (keyless `--insecure-ignore-*`). */
  notes?: AuthorityNotes;
}

/**
 * A key authority, policy-free: the public keys any one of which may have signed, what the signed
 * payload must also say, and whether a transparency log must vouch for the signature.
 */
export interface KeyAuthority extends AuthorityCommon {
  type: 'key';
  /** Any one of these keys may have signed. */
  keys: readonly PublicKey[];
  /**
   * When given, a signature counts only if it carries a Rekor entry signed by one of these keys that
   * records this very signature (legacy: the `dev.sigstore.cosign/bundle` annotation; bundles: their
   * tlog entries). When absent, no transparency log is checked, and the outcome says so.
   */
  rekorKeys?: readonly RekorKey[];
  /** `-a key=value`: each must be in the signed payload (`optional`, or the in-toto subject's annotations). */
  annotations?: Readonly<Record<string, string>>;
}

/** A KeyAuthority with defaults filled in; refuses an authority without keys (it could never pass). */
export function keyAuthority(input: Omit<KeyAuthority, 'type' | 'name'> & { name?: string }): KeyAuthority {
  if (input.keys.length === 0) throw new RangeError('a key authority needs at least one public key');
  return { type: 'key', name: input.name ?? 'key', ...input };
}

/** How an authority's keys are named in messages: their fingerprints (`A or B`). */
export function describeKeys(authority: KeyAuthority): string {
  return authority.keys.map((key) => key.fingerprint).join(' or ');
}

/**
 * A keyless authority, policy-free: who must have signed (certificate identities and issuers, matched
 * as cosign does), and the trust material that certificates, SCTs, Rekor entries and timestamps are
 * judged against (the embedded public-good root unless the user gave another).
 */
export interface KeylessAuthority extends AuthorityCommon {
  type: 'keyless';
  policy: KeylessPolicy;
  trustedRoot: TrustedRoot;
  /** `-a key=value`: each must be in the signed payload. */
  annotations?: Readonly<Record<string, string>>;
}

/** The verify-layer authority of each kind that verifies (`kinds.ts`): a new kind adds its line. */
export interface VerifyingAuthorities {
  key: KeyAuthority;
  keyless: KeylessAuthority;
}

/** Whoever may vouch for an image: a public key, or a certificate identity under a trust root. */
export type SignatureAuthority = VerifyingAuthorities[VerifyingKindName];
