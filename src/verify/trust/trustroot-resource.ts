import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { VerifyError } from '../errors.js';
import { readTrustFile } from './files.js';
import { EPOCH, logFromKey } from './log-keys.js';
import { parseCertificatesPem, parsePublicKeyPem } from './pem.js';
import { parseTrustedRoot, parseTrustedRootText, type TrustedRootJson } from './trusted-root.js';

/**
 * A policy-controller `TrustRoot` (policy.sigstore.dev/v1alpha1) turned into a trusted root.
 *
 * Encodings, as policy-controller defines them: `certChain` and `publicKey` are Go `[]byte`, so in YAML
 * they are base64 of PEM text (the PEM itself may be indented); a CA chain lists the root last; a TSA
 * chain holds one leaf plus its CAs. The resource carries no log IDs: policy-controller derives them
 * from each key (SHA-256 of the DER SubjectPublicKeyInfo) and stores them as hex text, which later
 * ended up as the bytes of that text in its protobuf trusted root; vouch uses the binary digest, the
 * value Rekor and CT logs actually put in `logID`. The resource carries no validity windows either:
 * its keys and CAs are trusted from 1970 on, as in policy-controller.
 *
 * `spec.remote` and `spec.repository` name a TUF repository to fetch or unpack; vouch does no TUF and
 * refuses them with a clear error rather than verifying against nothing.
 */
export interface TrustRootResource {
  name: string;
  trustedRoot: TrustedRoot;
}

const base64Bytes = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9+/=\s]+$/, 'must be base64 (policy-controller encodes PEM as base64)');

const distinguishedName = z.strictObject({
  organization: z.string().min(1, 'is required'),
  commonName: z.string().min(1, 'is required'),
});

const authority = z.strictObject({
  subject: distinguishedName,
  uri: z.string().min(1, 'is required'),
  certChain: base64Bytes,
});

const log = z.strictObject({
  baseURL: z.string().min(1, 'is required'),
  hashAlgorithm: z.string().min(1, 'is required'),
  publicKey: base64Bytes,
});

const sigstoreKeys = z.strictObject({
  certificateAuthorities: z.array(authority).optional(),
  tLogs: z.array(log).optional(),
  ctLogs: z.array(log).optional(),
  timestampAuthorities: z.array(authority).optional(),
});

const resource = z.object({
  apiVersion: z.literal('policy.sigstore.dev/v1alpha1'),
  kind: z.literal('TrustRoot'),
  metadata: z.object({ name: z.string().min(1) }),
  spec: z.strictObject({
    remote: z.unknown().optional(),
    repository: z.unknown().optional(),
    sigstoreKeys: sigstoreKeys.optional(),
    trustedRootJSON: z.string().optional(),
  }),
  status: z.unknown().optional(),
});

/** Converts one parsed TrustRoot document (YAML or JSON already decoded). */
export function trustRootFromResource(document: unknown, source: string): TrustRootResource {
  const parsed = resource.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(top level)';
    throw new VerifyError(
      'TRUSTROOT_INVALID',
      `TrustRoot ${source} is invalid: ${where}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const { metadata, spec } = parsed.data;
  const name = metadata.name;
  const what = `TrustRoot ${name} (${source})`;
  const given = (['remote', 'repository', 'sigstoreKeys', 'trustedRootJSON'] as const).filter(
    (field) => spec[field] !== undefined,
  );
  if (given.length !== 1)
    throw new VerifyError(
      'TRUSTROOT_INVALID',
      `${what}: spec must have exactly one of remote, repository, sigstoreKeys, trustedRootJSON (found ${given.length ? given.join(', ') : 'none'})`,
    );
  if (spec.remote !== undefined || spec.repository !== undefined)
    refuseTufTrustRoot(what, given[0] as 'remote' | 'repository');
  if (spec.trustedRootJSON !== undefined)
    return { name, trustedRoot: parseTrustedRootText(spec.trustedRootJSON, `${what} spec.trustedRootJSON`) };
  const keys = spec.sigstoreKeys as z.infer<typeof sigstoreKeys>;
  const authorityPem = (ca: z.infer<typeof authority>, at: string): CertificateAuthorityPem => ({
    ...ca,
    certChain: decodePem(ca.certChain, `${what} ${at} certChain`),
  });
  const logPem = (entry: z.infer<typeof log>, at: string): TransparencyLogPem => ({
    ...entry,
    publicKey: decodePem(entry.publicKey, `${what} ${at} publicKey`),
  });
  return {
    name,
    trustedRoot: trustedRootFromSigstoreKeys(
      {
        certificateAuthorities: (keys.certificateAuthorities ?? []).map((ca, i) =>
          authorityPem(ca, `certificateAuthorities[${i}]`),
        ),
        timestampAuthorities: (keys.timestampAuthorities ?? []).map((tsa, i) =>
          authorityPem(tsa, `timestampAuthorities[${i}]`),
        ),
        tLogs: (keys.tLogs ?? []).map((entry, i) => logPem(entry, `tLogs[${i}]`)),
        ctLogs: (keys.ctLogs ?? []).map((entry, i) => logPem(entry, `ctLogs[${i}]`)),
      },
      what,
    ),
  };
}

/** A TrustRoot's `remote` or `repository` (a TUF repository): refused, saying what to give instead. */
export function refuseTufTrustRoot(what: string, field: 'remote' | 'repository'): never {
  throw new VerifyError(
    'TRUSTROOT_UNSUPPORTED',
    `${what}: spec.${field} (a TUF repository) is not supported: vouch verifies offline and fetches no TUF metadata; give the keys in spec.sigstoreKeys, or the trusted_root.json in spec.trustedRootJSON`,
  );
}

/** A certificate authority of a TrustRoot's `sigstoreKeys`, its chain decoded to PEM text (root last). */
export interface CertificateAuthorityPem {
  subject: { organization: string; commonName: string };
  uri: string;
  certChain: string;
}

/** A transparency or CT log of a TrustRoot's `sigstoreKeys`, its key decoded to PEM text. */
export interface TransparencyLogPem {
  baseURL: string;
  hashAlgorithm: string;
  publicKey: string;
}

/** A TrustRoot's `sigstoreKeys` with its byte fields decoded: what the policy compiler keeps. */
export interface SigstoreKeysPem {
  certificateAuthorities: readonly CertificateAuthorityPem[];
  timestampAuthorities: readonly CertificateAuthorityPem[];
  tLogs: readonly TransparencyLogPem[];
  ctLogs: readonly TransparencyLogPem[];
}

/**
 * The trusted root a TrustRoot's decoded `sigstoreKeys` stand for. The one conversion, used for a
 * compiled policy's TrustRoot (whose fields the compiler decoded and checked) and for a `--trusted-root`
 * file holding a TrustRoot resource alike.
 */
export function trustedRootFromSigstoreKeys(keys: SigstoreKeysPem, what: string): TrustedRoot {
  const cas = keys.certificateAuthorities;
  const tsas = keys.timestampAuthorities;
  if (cas.length === 0 && tsas.length === 0)
    throw new VerifyError(
      'TRUSTROOT_INVALID',
      `${what}: spec.sigstoreKeys needs at least one of certificateAuthorities, timestampAuthorities`,
    );
  const json: TrustedRootJson = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    certificateAuthorities: cas.map((ca, index) =>
      toAuthority(ca, `${what} certificateAuthorities[${index}]`, false),
    ),
    timestampAuthorities: tsas.map((tsa, index) =>
      toAuthority(tsa, `${what} timestampAuthorities[${index}]`, true),
    ),
    tlogs: keys.tLogs.map((entry, index) => toLog(entry, `${what} tLogs[${index}]`)),
    ctlogs: keys.ctLogs.map((entry, index) => toLog(entry, `${what} ctLogs[${index}]`)),
  };
  return parseTrustedRoot(json, what);
}

function decodePem(value: string, what: string): string {
  const text = Buffer.from(value.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (!text.includes('-----BEGIN '))
    throw new VerifyError('TRUSTROOT_INVALID', `${what}: not base64 of PEM text`);
  return text;
}

function toAuthority(ca: CertificateAuthorityPem, what: string, timestamping: boolean) {
  const certificates = parseCertificatesPem(ca.certChain, `${what} certChain`);
  let ordered = certificates;
  if (timestamping) {
    // sigstore-js wants the TSA's signing certificate first, then its CAs.
    const leaves = certificates.filter((parsed) => !parsed.certificate.isCA);
    if (leaves.length > 1)
      throw new VerifyError('TRUSTROOT_INVALID', `${what}: certChain holds more than one TSA certificate`);
    ordered = [...leaves, ...certificates.filter((parsed) => parsed.certificate.isCA)];
  }
  return {
    subject: { organization: ca.subject.organization, commonName: ca.subject.commonName },
    uri: ca.uri,
    certChain: {
      certificates: ordered.map((parsed) => ({ rawBytes: parsed.der.toString('base64') })),
    },
    validFor: { start: EPOCH },
  };
}

function toLog(entry: TransparencyLogPem, what: string) {
  const key = parsePublicKeyPem(entry.publicKey, `${what} publicKey`);
  return logFromKey(key, entry.baseURL, hashAlgorithm(entry.hashAlgorithm, what));
}

function hashAlgorithm(value: string, what: string): 'SHA2_256' | 'SHA2_384' | 'SHA2_512' {
  const normalised = value.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (normalised === 'sha256' || normalised === 'sha2256') return 'SHA2_256';
  if (normalised === 'sha384' || normalised === 'sha2384') return 'SHA2_384';
  if (normalised === 'sha512' || normalised === 'sha2512') return 'SHA2_512';
  throw new VerifyError('TRUSTROOT_INVALID', `${what}: unknown hashAlgorithm ${JSON.stringify(value)}`);
}

/** Every TrustRoot in a YAML stream (documents of other kinds are an error: this is a TrustRoot file). */
export function parseTrustRootResources(text: string, source: string): TrustRootResource[] {
  const documents = parseAllDocuments(text);
  const results: TrustRootResource[] = [];
  for (const [index, document] of documents.entries()) {
    if (document.errors.length > 0)
      throw new VerifyError(
        'TRUSTROOT_INVALID',
        `${source}: document ${index + 1} is not valid YAML: ${document.errors[0]?.message ?? ''}`,
      );
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    results.push(trustRootFromResource(value, `${source} document ${index + 1}`));
  }
  if (results.length === 0) throw new VerifyError('TRUSTROOT_INVALID', `${source} holds no TrustRoot`);
  return results;
}

/**
 * A `--trusted-root` file: a Sigstore trusted_root.json (a JSON object with a `mediaType`), or a
 * policy-controller TrustRoot resource (YAML or JSON) holding exactly one TrustRoot.
 */
export function parseTrustedRootOrResource(text: string, source: string): TrustedRoot {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined; // YAML, read below
  }
  if (typeof json === 'object' && json !== null && 'mediaType' in json) return parseTrustedRoot(json, source);
  const resources = parseTrustRootResources(text, source);
  if (resources.length !== 1)
    throw new VerifyError(
      'TRUSTROOT_INVALID',
      `${source} holds ${resources.length} TrustRoot resources (${resources.map((r) => r.name).join(', ')}); give a file with one`,
    );
  return (resources[0] as TrustRootResource).trustedRoot;
}

/** Reads `--trusted-root FILE` (see `parseTrustedRootOrResource`). */
export async function loadTrustedRootOrResourceFile(path: string): Promise<TrustedRoot> {
  return parseTrustedRootOrResource(await readTrustFile(path, 'trusted root'), path);
}
