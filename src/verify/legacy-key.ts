import {
  CosignAnnotation,
  CosignMediaType,
  decodeBase64,
  type LegacyLayerArtefact,
  missingAnnotations,
  parseSimpleSigningPayload,
  SignatureError,
  type SimpleSigningClaims,
  signatureEncodingProblem,
  verifyWith,
} from '../signature/index.js';
import { describeKeys, type KeyAuthority } from './authority.js';
import { checkLegacyTlog, fetchFailed, findKey, rejected, type SignatureCheck } from './check.js';

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
