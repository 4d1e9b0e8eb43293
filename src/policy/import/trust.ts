/**
 * Trust material the source tools take as inline PEM — a custom Rekor or CT log key, TSA certificates,
 * a certificate used as a key — turned into what a ClusterImagePolicy reads: a public key, or a
 * `TrustRoot` holding a Sigstore `trusted_root.json` that starts from the public-good root (the source
 * tools' default for every part not overridden) with the given parts replaced.
 */
import { createHash, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { describeError } from '../../errors.js';
import publicGoodJson from '../../verify/trust/public-good.trusted_root.json' with { type: 'json' };
import { pemBlocks } from '../compile/pem.js';

export type Material<T> = { ok: true; value: T } | { ok: false; problem: string };

/** The public key (PEM) of a certificate: what verifies signatures made with the certificate's key. */
export function certificateKey(pem: string): Material<string> {
  const blocks = pemBlocks(pem).filter((block) => block.label === 'CERTIFICATE');
  if (blocks.length !== 1)
    return { ok: false, problem: `expected one PEM certificate, found ${blocks.length}` };
  try {
    const key = new X509Certificate((blocks[0] as { text: string }).text).publicKey;
    return { ok: true, value: key.export({ type: 'spki', format: 'pem' }).toString() };
  } catch (error) {
    return { ok: false, problem: `not a valid certificate: ${describeError(error)}` };
  }
}

/** PEM public keys in a text (Kyverno's `publicKeys` may hold several, one entry each). */
export function publicKeys(text: string): Material<string[]> {
  const blocks = pemBlocks(text);
  if (blocks.length === 0) return { ok: false, problem: 'holds no PEM public key' };
  const keys: string[] = [];
  for (const block of blocks) {
    if (block.label !== 'PUBLIC KEY' && block.label !== 'RSA PUBLIC KEY')
      return { ok: false, problem: `holds a ${block.label}, not a PUBLIC KEY` };
    try {
      createPublicKey(block.text);
    } catch (error) {
      return { ok: false, problem: `holds an invalid public key: ${describeError(error)}` };
    }
    keys.push(`${block.text}\n`);
  }
  return { ok: true, value: keys };
}

/** PEM certificates in a text, checked to parse. */
export function certificates(text: string): Material<string> {
  const blocks = pemBlocks(text).filter((block) => block.label === 'CERTIFICATE');
  if (blocks.length === 0) return { ok: false, problem: 'holds no PEM certificate' };
  for (const block of blocks) {
    try {
      new X509Certificate(block.text);
    } catch (error) {
      return { ok: false, problem: `holds an invalid certificate: ${describeError(error)}` };
    }
  }
  return { ok: true, value: `${blocks.map((block) => block.text).join('\n')}\n` };
}

/** A protobuf `PublicKeyDetails` name for a key, as trusted_root.json spells it. */
function keyDetails(key: KeyObject): string | undefined {
  const details = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case 'ec':
      return (
        {
          prime256v1: 'PKIX_ECDSA_P256_SHA_256',
          secp384r1: 'PKIX_ECDSA_P384_SHA_384',
          secp521r1: 'PKIX_ECDSA_P521_SHA_512',
        } as Record<string, string>
      )[details?.namedCurve ?? ''];
    case 'rsa': {
      const bits = details?.modulusLength;
      return bits === 2048 || bits === 3072 || bits === 4096
        ? `PKIX_RSA_PKCS1V15_${bits}_SHA256`
        : 'PKIX_RSA_PKCS1V5';
    }
    case 'ed25519':
      return 'PKIX_ED25519';
    default:
      return undefined;
  }
}

/** A transparency-log or CT-log entry of a trusted root, for a PEM key the source gave inline. */
function logEntry(url: string, pem: string): Material<Record<string, unknown>> {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    return { ok: false, problem: `not a valid public key: ${describeError(error)}` };
  }
  const details = keyDetails(key);
  if (details === undefined)
    return { ok: false, problem: `a ${key.asymmetricKeyType} key cannot sign a transparency log` };
  const der = key.export({ type: 'spki', format: 'der' });
  return {
    ok: true,
    value: {
      baseUrl: url,
      hashAlgorithm: 'SHA2_256',
      publicKey: {
        rawBytes: der.toString('base64'),
        keyDetails: details,
        // The source tools trust an inline key for every entry, whenever it was made.
        validFor: { start: '1970-01-01T00:00:00Z' },
      },
      logId: { keyId: createHash('sha256').update(der).digest('base64') },
    },
  };
}

/** A timestamp authority of a trusted root: a TSA chain given as PEM (leaf first, root last). */
function timestampAuthority(pem: string): Material<Record<string, unknown>> {
  const parsed = certificates(pem);
  if (!parsed.ok) return parsed;
  const certs = pemBlocks(parsed.value).map((block) => new X509Certificate(block.text));
  const subject = certs[0]?.subject ?? '';
  const field = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(subject)?.[1] ?? 'imported';
  return {
    ok: true,
    value: {
      subject: { organization: field('O'), commonName: field('CN') },
      uri: 'imported',
      certChain: { certificates: certs.map((cert) => ({ rawBytes: cert.raw.toString('base64') })) },
      validFor: { start: '1970-01-01T00:00:00Z' },
    },
  };
}

export interface TrustParts {
  /** Rekor logs (URL and PEM key) replacing the public-good ones. */
  tlogs?: { url: string; pem: string }[];
  /** CT logs replacing the public-good ones. */
  ctlogs?: { url: string; pem: string }[];
  /** TSA chains replacing the public-good timestamp authorities. */
  timestampAuthorities?: string[];
}

/**
 * A `trusted_root.json` text: the embedded public-good root with the given parts replaced (the parts a
 * source tool did not override keep their public-good defaults, as they do in that tool).
 */
export function trustedRootJson(parts: TrustParts): Material<string> {
  const root = structuredClone(publicGoodJson) as Record<string, unknown>;
  const replace = <T>(
    field: string,
    items: T[] | undefined,
    build: (item: T) => Material<Record<string, unknown>>,
  ): string | undefined => {
    if (items === undefined) return undefined;
    const built: Record<string, unknown>[] = [];
    for (const item of items) {
      const entry = build(item);
      if (!entry.ok) return entry.problem;
      built.push(entry.value);
    }
    root[field] = built;
    return undefined;
  };
  const problem =
    replace('tlogs', parts.tlogs, (log) => logEntry(log.url, log.pem)) ??
    replace('ctlogs', parts.ctlogs, (log) => logEntry(log.url, log.pem)) ??
    replace('timestampAuthorities', parts.timestampAuthorities, timestampAuthority);
  if (problem !== undefined) return { ok: false, problem };
  return { ok: true, value: JSON.stringify(root, null, 2) };
}

/** A TrustRoot document holding a trusted_root.json. */
export function trustRootDocument(name: string, json: string): Record<string, unknown> {
  return {
    apiVersion: 'policy.sigstore.dev/v1alpha1',
    kind: 'TrustRoot',
    metadata: { name },
    spec: { trustedRootJSON: json },
  };
}
