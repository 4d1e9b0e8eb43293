/** cosign's legacy `.sig` and `.att` layers checked against a key authority. */
import {
  CosignAnnotation,
  CosignMediaType,
  type DsseEnvelope,
  decodeBase64,
  envelopeStatement,
  type InTotoStatement,
  type LegacyLayerArtefact,
  missingAnnotations,
  type PublicKey,
  parseDsseEnvelope,
  parseSimpleSigningPayload,
  preAuthEncoding,
  SignatureError,
  type SimpleSigningClaims,
  signatureEncodingProblem,
  verifyWith,
} from '../../signature/index.js';
import { describeKeys, type KeyAuthority } from '../authority.js';
import {
  checkLegacyTlog,
  fetchFailed,
  findKey,
  rejected,
  type SignatureCheck,
  statementProblem,
} from '../check.js';

/**
 * Checks one layer of a `.sig` manifest against a key authority, as cosign does: the layer must be a
 * simple-signing payload (whatever its annotations say otherwise), its signature annotation must verify
 * over the exact payload bytes with one of the keys, the payload must name exactly `digest`, every
 * required annotation must match, and, when Rekor keys are configured, the Rekor bundle must verify.
 * `docker-reference` is not checked: cosign does not, and copied images must still verify.
 */
export function checkLegacySignatureWithKey(
  layer: LegacyLayerArtefact,
  authority: KeyAuthority,
  digest: string,
): SignatureCheck {
  const { descriptor } = layer;
  const artefact = descriptor.digest;
  const reject = (reason: string) => rejected('sig-tag', 'legacy', artefact, reason);
  if (descriptor.mediaType !== CosignMediaType.SIMPLE_SIGNING)
    return reject(`layer is ${descriptor.mediaType}, not a simple-signing payload, so it never counts`);
  if (!layer.blob) return reject('the payload was not fetched');
  if (!layer.blob.ok)
    return fetchFailed('sig-tag', 'legacy', artefact, layer.blob.error, 'the signed payload');
  const payload = layer.blob.value;
  const annotation = descriptor.annotations?.[CosignAnnotation.SIGNATURE];
  if (annotation === undefined || annotation === '') return reject('the layer has no signature annotation');
  let signature: Buffer;
  try {
    signature = decodeBase64(annotation, 'the signature annotation');
  } catch (error) {
    return reject((error as SignatureError).message);
  }
  const key = findKey(authority, (candidate) => verifyWith(candidate, payload, signature));
  if (!key) {
    // Only when the signature cannot be right for any key is its encoding the reason.
    const problems = authority.keys.map((candidate) => signatureEncodingProblem(candidate, signature));
    const malformed = problems.every((problem) => problem !== undefined) ? problems[0] : undefined;
    return reject(
      malformed ?? `the signature does not verify over the payload with key ${describeKeys(authority)}`,
    );
  }
  let claims: SimpleSigningClaims;
  try {
    claims = parseSimpleSigningPayload(payload);
  } catch (error) {
    if (error instanceof SignatureError) return reject(error.message);
    throw error;
  }
  if (claims.digest !== digest) return reject(`the signed payload names ${claims.digest}, not ${digest}`);
  const missing = missingAnnotations(claims.optional, authority.annotations ?? {});
  if (missing.length) return reject(`annotation mismatch: wanted ${missing.join(', ')}`);
  const tlog = checkLegacyTlog(descriptor.annotations, authority, {
    signature,
    signer: { publicKey: key },
    signed: { kind: 'payload', bytes: payload },
  });
  if (!tlog.ok) return reject(tlog.reason);
  return {
    outcome: {
      source: 'sig-tag',
      format: 'legacy',
      artefact,
      verified: true,
      reason: `signed by key ${key.fingerprint}`,
    },
    tlog: tlog.tlog,
    key,
  };
}

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
