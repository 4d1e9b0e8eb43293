import { createHash } from 'node:crypto';
import { dsse, crypto as sigstoreCrypto } from '@sigstore/core';
import type { SignedEntity } from '@sigstore/verify';

/**
 * A DSSE envelope logged as a hashedrekord entry (what a Rekor v2 log, which has no dsse entry type
 * for this, or sigstore-go with hashedrekord-over-DSSE writes): the entry records the digest of the
 * DSSE pre-authentication encoding — the bytes the signature covers — not the digest of the payload.
 * @sigstore/verify 3.1 compares it with the payload digest and rejects such good bundles; the entity
 * returned compares it with the PAE digest instead. Signature checks are unchanged. Entities whose
 * entries are of other kinds are returned as they are; a mix of kinds for one envelope is refused.
 */
export function withDsseLoggedAsHashedRekord(
  entity: SignedEntity,
  envelope: { payloadType: string; payload: Buffer },
): { entity: SignedEntity } | { problem: string } {
  const kinds = new Set(entity.tlogEntries.map((entry) => entry.kindVersion?.kind));
  if (!kinds.has('hashedrekord')) return { entity };
  if (kinds.size > 1)
    return {
      problem: 'bundle mixes hashedrekord and other transparency-log entry kinds for one DSSE envelope',
    };
  const content = entity.signature;
  const paeDigest = createHash('sha256')
    .update(dsse.preAuthEncoding(envelope.payloadType, envelope.payload))
    .digest();
  return {
    entity: {
      ...entity,
      signature: {
        signature: content.signature,
        compareSignature: (other) => content.compareSignature(other),
        compareDigest: (other) => sigstoreCrypto.bufferEqual(other, paeDigest),
        verifySignature: (key) => content.verifySignature(key),
      },
    },
  };
}
