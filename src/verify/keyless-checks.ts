import {
  CosignMediaType,
  type LegacyLayerArtefact,
  type ReferrerArtefact,
  SignatureError,
} from '../signature/index.js';
import type { KeylessAuthority } from './authority.js';
import {
  fetchFailed,
  rejected,
  type SignatureCheck,
  type StatementRequirement,
  statementProblem,
} from './check.js';
import { verifyBundle } from './keyless/bundle.js';
import {
  type LegacyKeylessSignature,
  legacyKeylessFromAnnotations,
  verifyLegacyKeyless,
  verifyLegacyKeylessAttestation,
} from './keyless/legacy.js';
import { toSignatureOutcome } from './keyless/outcome.js';
import { compileKeylessPolicy } from './keyless/policy.js';
import type { KeylessVerification } from './keyless/result.js';
import type { SignatureOutcome } from './outcome.js';

type Origin = Pick<SignatureOutcome, 'source' | 'format'> & { artefact?: string };

/** A keyless verification result as the dispatcher's per-signature check. */
function toCheck(result: KeylessVerification, origin: Origin): SignatureCheck {
  const check: SignatureCheck = { outcome: toSignatureOutcome(result, origin), tlog: result.tlog };
  if (result.verified && result.signer?.kind === 'certificate') check.identity = result.signer.identity;
  return check;
}

/** The keyless parts of a legacy layer, or a rejection saying why the layer cannot be keyless. */
function keylessLayer(
  layer: LegacyLayerArtefact,
  source: 'sig-tag' | 'att-tag',
  mediaType: string,
  noun: string,
): LegacyKeylessSignature | SignatureCheck {
  const { descriptor } = layer;
  const artefact = descriptor.digest;
  const reject = (reason: string) => rejected(source, 'legacy', artefact, reason);
  if (descriptor.mediaType !== mediaType)
    return reject(`layer is ${descriptor.mediaType}, not a ${noun}, so it never counts`);
  if (!layer.blob) return reject(`the ${noun} was not fetched`);
  if (!layer.blob.ok) return fetchFailed(source, 'legacy', artefact, layer.blob.error, `the ${noun}`);
  const parts = legacyKeylessFromAnnotations(layer.blob.value, descriptor.annotations ?? {});
  return (
    parts ??
    reject('the layer carries no certificate (dev.sigstore.cosign/certificate): it was signed with a key')
  );
}

/**
 * Checks one layer of a `.sig` manifest against a keyless authority, as cosign does: a simple-signing
 * layer carrying a certificate; chain, SCT, Rekor entry, identity and signature verified by
 * `verifyLegacyKeyless`; the payload names `digest` and carries the authority's annotations.
 */
export function checkLegacySignatureKeyless(
  layer: LegacyLayerArtefact,
  authority: KeylessAuthority,
  digest: string,
): SignatureCheck {
  const parts = keylessLayer(layer, 'sig-tag', CosignMediaType.SIMPLE_SIGNING, 'simple-signing payload');
  if ('outcome' in parts) return parts;
  const result = verifyLegacyKeyless(parts, authority.policy, {
    trustedRoot: authority.trustedRoot,
    expectedDigest: digest,
    ...(authority.annotations && { annotations: authority.annotations }),
  });
  return toCheck(result, { source: 'sig-tag', format: 'legacy', artefact: layer.descriptor.digest });
}

/**
 * Checks one layer of an `.att` manifest against a keyless authority: a DSSE envelope whose signature
 * is the certificate's, logged in Rekor, with an in-toto statement naming `digest` and having the
 * predicate type (`verifyLegacyKeylessAttestation`).
 */
export function checkLegacyAttestationKeyless(
  layer: LegacyLayerArtefact,
  authority: KeylessAuthority,
  digest: string,
  predicateType: string,
): SignatureCheck {
  const parts = keylessLayer(layer, 'att-tag', CosignMediaType.DSSE_ENVELOPE, 'DSSE envelope');
  if ('outcome' in parts) return parts;
  const result = verifyLegacyKeylessAttestation(parts, authority.policy, {
    trustedRoot: authority.trustedRoot,
    expectedDigest: digest,
    predicateType,
  });
  const check = toCheck(result, { source: 'att-tag', format: 'legacy', artefact: layer.descriptor.digest });
  if (result.verified && result.statement) check.statement = result.statement;
  return check;
}

/**
 * Checks one Sigstore-bundle referrer against a keyless authority: `verifyBundle` with the image
 * digest as the artifact (chain, SCT, transparency log or timestamp, identity, DSSE signature, the
 * in-toto subject), then the predicate type and the annotations the statement must carry.
 */
export async function checkBundleKeyless(
  referrer: ReferrerArtefact,
  authority: KeylessAuthority,
  digest: string,
  requirement: StatementRequirement,
): Promise<SignatureCheck> {
  const origin: Origin = { source: referrer.source, format: 'bundle', artefact: referrer.descriptor.digest };
  let bundle: Uint8Array;
  try {
    bundle = (await referrer.load()).bundle;
  } catch (error) {
    if (error instanceof SignatureError)
      return rejected(origin.source, 'bundle', origin.artefact, error.message);
    return fetchFailed(origin.source, 'bundle', origin.artefact, error, 'the bundle');
  }
  const result = verifyBundle(
    bundle,
    { digest },
    { keyless: authority.policy },
    { trustedRoot: authority.trustedRoot, dsseOnly: true },
  );
  if (result.bundle?.content === 'message-signature')
    return rejected(
      origin.source,
      'bundle',
      origin.artefact,
      'the bundle holds a message signature, not a DSSE envelope of an in-toto statement',
    );
  const check = toCheck(result, origin);
  if (!result.verified || !result.statement) return check;
  const problem = statementProblem(result.statement, digest, requirement);
  if (problem)
    return rejected(origin.source, 'bundle', origin.artefact, problem.reason, problem.otherPredicateType);
  return { ...check, statement: result.statement };
}

/** What a keyless authority was told to skip, for its outcome: warnings, and whether the log is ignored. */
export function keylessNotes(authority: KeylessAuthority): { warnings: string[]; tlogIgnored: boolean } {
  const compiled = compileKeylessPolicy(authority.policy);
  return { warnings: [...compiled.warnings], tlogIgnored: compiled.insecureIgnoreTlog };
}
