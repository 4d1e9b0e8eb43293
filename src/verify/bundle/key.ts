import type { TrustMaterial } from '@sigstore/verify';
import {
  type Bundle,
  envelopeStatement,
  type InTotoStatement,
  type PublicKey,
  parseSigstoreBundle,
  type ReferrerArtefact,
  SignatureError,
} from '../../signature/index.js';
import { describeKeys, type KeyAuthority, type RekorKey } from '../authority.js';
import {
  fetchFailed,
  rejected,
  type SignatureCheck,
  type StatementRequirement,
  statementProblem,
} from '../check.js';
import type { TransparencyLogOutcome } from '../outcome.js';
import { withDsseLoggedAsHashedRekord } from '../tlog/dsse-hashedrekord.js';

const FOREVER = { start: new Date(0), end: new Date(8_640_000_000_000_000) };

function trustMaterial(key: PublicKey, rekorKeys: readonly RekorKey[]): TrustMaterial {
  return {
    certificateAuthorities: [],
    timestampAuthorities: [],
    ctlogs: [],
    tlogs: rekorKeys.map((rekor) => ({
      logID: Buffer.from(rekor.logId, 'hex'),
      baseURL: rekor.baseUrl ?? '',
      publicKey: rekor.key.key,
      validFor: FOREVER,
    })),
    // The authority names its key; the bundle's hint is not trusted to pick it.
    publicKey: () => ({ publicKey: key.key, validFor: () => true }),
  };
}

/**
 * Checks one Sigstore-bundle referrer against a key authority: the bundle must hold a DSSE envelope
 * signed by one of the keys (checked by @sigstore/verify with the key as the only trust material), its
 * in-toto statement must name `digest` as a subject and have the required predicate type. With Rekor
 * keys, at least one transparency-log entry must verify against them; without, the bundle's tlog
 * entries and timestamps are not checked, and the outcome says so.
 */
export async function checkBundleWithKey(
  referrer: ReferrerArtefact,
  authority: KeyAuthority,
  digest: string,
  requirement: StatementRequirement,
): Promise<SignatureCheck> {
  const source = referrer.source;
  const artefact = referrer.descriptor.digest;
  const reject = (reason: string) => rejected(source, 'bundle', artefact, reason);
  let bundle: Bundle;
  try {
    const loaded = await referrer.load();
    bundle = parseSigstoreBundle(loaded.bundle);
  } catch (error) {
    if (error instanceof SignatureError) return reject(error.message);
    return fetchFailed(source, 'bundle', artefact, error, 'the bundle');
  }
  if (bundle.content.$case !== 'dsseEnvelope')
    return reject('the bundle holds a message signature, not a DSSE envelope of an in-toto statement');
  if (bundle.verificationMaterial.content.$case !== 'publicKey')
    return reject('the bundle was signed with a certificate (keyless), not with a key');

  // Loaded on first use: most images carry legacy signatures, and a CLI run should not pay for it.
  const { toSignedEntity, VerificationError, Verifier } = await import('@sigstore/verify');
  const rekorKeys = authority.rekorKeys ?? [];
  // Key authorities check no signed timestamps (no TSA is configured for them, as cosign with a key),
  // and the transparency log only when given Rekor keys.
  const checked: Bundle = {
    ...bundle,
    verificationMaterial: {
      ...bundle.verificationMaterial,
      ...(rekorKeys.length === 0 && { tlogEntries: [] }),
      timestampVerificationData: undefined,
    },
  };
  const verifier = (key: PublicKey) =>
    new Verifier(trustMaterial(key, rekorKeys), {
      tlogThreshold: rekorKeys.length ? 1 : 0,
      ctlogThreshold: 0,
      timestampThreshold: 0,
    });
  // A DSSE envelope in a Rekor v2 log (or from sigstore-go) is logged as hashedrekord over its PAE.
  const adapted = withDsseLoggedAsHashedRekord(toSignedEntity(checked), bundle.content.dsseEnvelope);
  if ('problem' in adapted) return reject(adapted.problem);
  let key: PublicKey | undefined;
  let lastError = '';
  for (const candidate of authority.keys) {
    try {
      verifier(candidate).verify(adapted.entity);
      key = candidate;
      break;
    } catch (error) {
      lastError =
        error instanceof VerificationError ? `${error.code}: ${error.message}` : (error as Error).message;
    }
  }
  if (!key) {
    const signatureFailed = /SIGNATURE_ERROR/.test(lastError);
    return reject(
      signatureFailed
        ? `the bundle's signature does not verify with key ${describeKeys(authority)}`
        : `the bundle does not verify: ${lastError}`,
    );
  }

  const envelope = bundle.content.dsseEnvelope;
  let statement: InTotoStatement;
  try {
    statement = envelopeStatement(envelope);
  } catch (error) {
    if (error instanceof SignatureError) return reject(error.message);
    throw error;
  }
  const problem = statementProblem(statement, digest, requirement);
  if (problem) return rejected(source, 'bundle', artefact, problem.reason, problem.otherPredicateType);
  const entries = bundle.verificationMaterial.tlogEntries.length;
  const tlog: TransparencyLogOutcome = rekorKeys.length
    ? {
        status: 'verified',
        detail: `${entries} transparency-log entr${entries === 1 ? 'y' : 'ies'} verified offline`,
      }
    : {
        status: 'not-checked',
        detail: entries
          ? `the bundle carries ${entries} transparency-log entr${entries === 1 ? 'y' : 'ies'}, not checked (no Rekor key given)`
          : 'the bundle carries no transparency-log entry and no Rekor key was given',
      };
  return {
    outcome: {
      source,
      format: 'bundle',
      artefact,
      verified: true,
      reason: `signed by key ${key.fingerprint}`,
    },
    tlog,
    statement,
    key,
  };
}
