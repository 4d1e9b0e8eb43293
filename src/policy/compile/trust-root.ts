/**
 * Validates a `TrustRoot` and decodes its base64 fields into plain data. Turning it into trust
 * material (certificate pools, log keys) belongs to the keyless verifier (`src/verify/trust`).
 */
import { X509Certificate } from 'node:crypto';
import { isAbsoluteUrl } from '../../util/url.js';
import { canonicalHash } from '../fingerprint.js';
import { decodeBase64 } from '../load/references.js';
import type {
  CertificateAuthority,
  CompiledTrustRoot,
  TransparencyLogInstance,
  TrustRootSpec,
} from '../model.js';
import type { TrustRootInput } from '../schema/trust-root.js';
import { certificatesError, pemBlocks, publicKeyError } from './pem.js';
import { exactlyOne, type Reporter } from './reporter.js';

type CaInput = NonNullable<
  NonNullable<TrustRootInput['spec']['sigstoreKeys']>['certificateAuthorities']
>[number];
type TlogInput = NonNullable<NonNullable<TrustRootInput['spec']['sigstoreKeys']>['tLogs']>[number];

export function compileTrustRoot(
  input: TrustRootInput,
  reporter: Reporter,
  origin: string,
): CompiledTrustRoot | undefined {
  const spec = input.spec;
  if (
    !exactlyOne(reporter, 'spec', {
      remote: spec.remote,
      repository: spec.repository,
      sigstoreKeys: spec.sigstoreKeys,
      trustedRootJSON: spec.trustedRootJSON,
    })
  )
    return undefined;

  let compiled: TrustRootSpec | undefined;
  if (spec.remote !== undefined) {
    const root = rootJson(spec.remote.root, 'spec.remote.root', reporter);
    if (spec.remote.mirror === undefined)
      reporter.error('INVALID', 'spec.remote.mirror', 'required field is missing');
    else if (!isAbsoluteUrl(spec.remote.mirror))
      reporter.error(
        'INVALID',
        'spec.remote.mirror',
        `${JSON.stringify(spec.remote.mirror)} is not an absolute URL`,
      );
    if (root !== undefined && spec.remote.mirror !== undefined && !reporter.failed)
      compiled = {
        type: 'remote',
        root,
        mirror: spec.remote.mirror,
        targets: spec.remote.targets ?? 'targets',
        trustedRootTarget: spec.remote.trustedRootTarget ?? 'trusted_root.json',
      };
  } else if (spec.repository !== undefined) {
    const root = rootJson(spec.repository.root, 'spec.repository.root', reporter);
    const mirrorFS = spec.repository.mirrorFS;
    if (mirrorFS === undefined)
      reporter.error('INVALID', 'spec.repository.mirrorFS', 'required field is missing');
    else if (decodeBase64(mirrorFS) === undefined)
      reporter.error(
        'INVALID',
        'spec.repository.mirrorFS',
        'must be base64 (of a tar.gz of the TUF repository)',
      );
    if (root !== undefined && mirrorFS !== undefined && !reporter.failed)
      compiled = {
        type: 'repository',
        root,
        mirrorFS,
        targets: spec.repository.targets ?? 'targets',
        trustedRootTarget: spec.repository.trustedRootTarget ?? 'trusted_root.json',
      };
  } else if (spec.sigstoreKeys !== undefined) {
    const keys = spec.sigstoreKeys;
    if ((keys.certificateAuthorities ?? []).length === 0 && (keys.timestampAuthorities ?? []).length === 0)
      reporter.error('INVALID', 'spec.sigstoreKeys', 'needs certificateAuthorities or timestampAuthorities');
    const certificateAuthorities = (keys.certificateAuthorities ?? []).map((ca, i) =>
      authority(ca, `spec.sigstoreKeys.certificateAuthorities[${i}]`, false, reporter),
    );
    const timestampAuthorities = (keys.timestampAuthorities ?? []).map((ca, i) =>
      authority(ca, `spec.sigstoreKeys.timestampAuthorities[${i}]`, true, reporter),
    );
    const tLogs = (keys.tLogs ?? []).map((log, i) =>
      transparencyLog(log, `spec.sigstoreKeys.tLogs[${i}]`, reporter),
    );
    const ctLogs = (keys.ctLogs ?? []).map((log, i) =>
      transparencyLog(log, `spec.sigstoreKeys.ctLogs[${i}]`, reporter),
    );
    if (!reporter.failed)
      compiled = {
        type: 'sigstoreKeys',
        certificateAuthorities: certificateAuthorities as CertificateAuthority[],
        timestampAuthorities: timestampAuthorities as CertificateAuthority[],
        tLogs: tLogs as TransparencyLogInstance[],
        ctLogs: ctLogs as TransparencyLogInstance[],
      };
  } else if (spec.trustedRootJSON !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(spec.trustedRootJSON);
    } catch (error) {
      reporter.error('INVALID', 'spec.trustedRootJSON', `not JSON: ${(error as Error).message}`);
    }
    if (parsed !== undefined && (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)))
      reporter.error(
        'INVALID',
        'spec.trustedRootJSON',
        'must be a JSON object (a Sigstore trusted_root.json)',
      );
    if (!reporter.failed) compiled = { type: 'trustedRootJSON', trustedRootJSON: spec.trustedRootJSON };
  }
  if (compiled === undefined || reporter.failed) return undefined;
  const body = { name: input.metadata.name, spec: compiled };
  return { ...body, origin, fingerprint: canonicalHash(body) };
}

function rootJson(value: string | undefined, path: string, reporter: Reporter): string | undefined {
  if (value === undefined) {
    reporter.error('INVALID', path, 'required field is missing');
    return undefined;
  }
  const bytes = decodeBase64(value);
  if (bytes === undefined) {
    reporter.error('INVALID', path, 'must be base64 (of the TUF root.json)');
    return undefined;
  }
  const text = bytes.toString('utf8');
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (error) {
    reporter.error('INVALID', path, `does not decode to JSON: ${(error as Error).message}`);
    return undefined;
  }
  if (typeof root !== 'object' || root === null || !('signatures' in root)) {
    reporter.error('INVALID', path, 'root.json has no signatures');
    return undefined;
  }
  return text;
}

function decodedPem(
  value: string | undefined,
  path: string,
  reporter: Reporter,
  what: string,
): string | undefined {
  if (value === undefined) {
    reporter.error('INVALID', path, 'required field is missing');
    return undefined;
  }
  const bytes = decodeBase64(value);
  if (bytes === undefined) {
    reporter.error(
      'INVALID',
      path,
      value.startsWith('-----BEGIN')
        ? `must be base64 of the PEM ${what} (TrustRoot byte fields are base64), not the PEM itself`
        : `must be base64 of the PEM ${what}`,
    );
    return undefined;
  }
  return bytes.toString('utf8');
}

function authority(
  input: CaInput,
  path: string,
  timestamp: boolean,
  reporter: Reporter,
): CertificateAuthority | undefined {
  let ok = true;
  for (const field of ['organization', 'commonName'] as const)
    if (input.subject?.[field] === undefined) {
      reporter.error('INVALID', `${path}.subject.${field}`, 'required field is missing');
      ok = false;
    }
  if (input.uri === undefined) {
    reporter.error('INVALID', `${path}.uri`, 'required field is missing');
    ok = false;
  }
  const certChain = decodedPem(input.certChain, `${path}.certChain`, reporter, 'certificate chain');
  if (certChain !== undefined) {
    const problem = certificatesError(certChain);
    if (problem) {
      reporter.error('INVALID', `${path}.certChain`, problem);
      ok = false;
    } else if (
      timestamp &&
      pemBlocks(certChain).filter((block) => !new X509Certificate(block.text).ca).length > 1
    ) {
      reporter.error(
        'INVALID',
        `${path}.certChain`,
        'a timestamp authority chain holds at most one leaf (TSA) certificate',
      );
      ok = false;
    }
  } else ok = false;
  if (!ok || certChain === undefined) return undefined;
  return {
    subject: { organization: input.subject!.organization!, commonName: input.subject!.commonName! },
    uri: input.uri!,
    certChain,
  };
}

function transparencyLog(
  input: TlogInput,
  path: string,
  reporter: Reporter,
): TransparencyLogInstance | undefined {
  let ok = true;
  if (input.baseURL === undefined) {
    reporter.error('INVALID', `${path}.baseURL`, 'required field is missing');
    ok = false;
  }
  if (input.hashAlgorithm === undefined) {
    reporter.error('INVALID', `${path}.hashAlgorithm`, 'required field is missing');
    ok = false;
  }
  const publicKey = decodedPem(input.publicKey, `${path}.publicKey`, reporter, 'public key');
  if (publicKey !== undefined) {
    const problem = publicKeyError(publicKey);
    if (problem) {
      reporter.error('INVALID', `${path}.publicKey`, problem);
      ok = false;
    }
  } else ok = false;
  if (!ok || publicKey === undefined) return undefined;
  return { baseURL: input.baseURL!, hashAlgorithm: input.hashAlgorithm!, publicKey };
}
