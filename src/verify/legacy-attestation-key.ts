import {
  CosignMediaType,
  type DsseEnvelope,
  envelopeStatement,
  type InTotoStatement,
  type LegacyLayerArtefact,
  type PublicKey,
  parseDsseEnvelope,
  preAuthEncoding,
  SignatureError,
  verifyWith,
} from '../signature/index.js';
import { describeKeys, type KeyAuthority } from './authority.js';
import { checkLegacyTlog, fetchFailed, rejected, type SignatureCheck, statementProblem } from './check.js';

/**
 * Checks one layer of an `.att` manifest against a key authority: a DSSE envelope whose signature
 * verifies over its pre-authentication encoding with one of the keys, an in-toto statement naming
 * `digest`, the wanted predicate type, and (with Rekor keys) a Rekor bundle that records it.
 */
export function checkLegacyAttestationWithKey(
  layer: LegacyLayerArtefact,
  authority: KeyAuthority,
  digest: string,
  predicateType: string,
): SignatureCheck {
  const { descriptor } = layer;
  const artefact = descriptor.digest;
  const reject = (reason: string) => rejected('att-tag', 'legacy', artefact, reason);
  if (descriptor.mediaType !== CosignMediaType.DSSE_ENVELOPE)
    return reject(`layer is ${descriptor.mediaType}, not a DSSE envelope, so it never counts`);
  if (!layer.blob) return reject('the envelope was not fetched');
  if (!layer.blob.ok) return fetchFailed('att-tag', 'legacy', artefact, layer.blob.error, 'the attestation');
  let envelope: DsseEnvelope;
  try {
    envelope = parseDsseEnvelope(layer.blob.value, 'the attestation envelope');
  } catch (error) {
    if (error instanceof SignatureError) return reject(error.message);
    throw error;
  }
  const signed = preAuthEncoding(envelope.payloadType, envelope.payload);
  let key: PublicKey | undefined;
  let signature: Buffer | undefined;
  for (const candidate of authority.keys) {
    signature = envelope.signatures.find((entry) => verifyWith(candidate, signed, entry.sig))?.sig;
    if (signature) {
      key = candidate;
      break;
    }
  }
  if (!key || !signature)
    return reject(`no signature of the envelope verifies with key ${describeKeys(authority)}`);
  let statement: InTotoStatement;
  try {
    statement = envelopeStatement(envelope);
  } catch (error) {
    if (error instanceof SignatureError) return reject(error.message);
    throw error;
  }
  const problem = statementProblem(statement, digest, { predicateType });
  if (problem) return rejected('att-tag', 'legacy', artefact, problem.reason, problem.otherPredicateType);
  const tlog = checkLegacyTlog(descriptor.annotations, authority, {
    signature,
    signer: { publicKey: key },
    signed: { kind: 'dsse', envelope },
  });
  if (!tlog.ok) return reject(tlog.reason);
  return {
    outcome: {
      source: 'att-tag',
      format: 'legacy',
      artefact,
      verified: true,
      reason: `attested by key ${key.fingerprint}`,
    },
    tlog: tlog.tlog,
    statement,
    key,
  };
}
