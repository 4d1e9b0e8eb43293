import type { KeyObject } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { json, X509Certificate as SigstoreCertificate } from '@sigstore/core';
import {
  algorithmIdentifier,
  explicit,
  generalizedTime,
  implicitConstructed,
  integer,
  octetString,
  oid,
  sequence,
  set,
} from './der.js';
import { sha256, signBytes, type TestCertificate, type TestKeyPair, uint16 } from './pki.js';

/** A Certificate Transparency log that signs SCTs for precertificates (RFC 6962 §3.2). */
export class TestCtLog {
  readonly logId: Buffer;

  constructor(
    readonly baseUrl: string,
    readonly keyPair: TestKeyPair,
  ) {
    this.logId = sha256(keyPair.spki);
  }

  /**
   * A serialized SCT v1 for a precertificate. `signWith` signs with another key while still
   * claiming this log's ID (a forged SCT).
   */
  sct(precertificateTbs: Buffer, issuerKeyHash: Buffer, at: Date, signWith?: KeyObject): Buffer {
    const timestamp = Buffer.alloc(8);
    timestamp.writeBigUInt64BE(BigInt(at.getTime()));
    const tbsLength = Buffer.alloc(3);
    tbsLength.writeUIntBE(precertificateTbs.length, 0, 3);
    const signed = Buffer.concat([
      Buffer.from([0, 0]), // version v1, signature type certificate_timestamp
      timestamp,
      uint16(1), // entry type precert_entry
      issuerKeyHash,
      tbsLength,
      precertificateTbs,
      uint16(0), // no extensions
    ]);
    const signature = signBytes(signWith ?? this.keyPair.privateKey, signed);
    return Buffer.concat([
      Buffer.from([0]), // version v1
      this.logId,
      timestamp,
      uint16(0),
      Buffer.from([4, 3]), // sha256, ecdsa
      uint16(signature.length),
      signature,
    ]);
  }
}

export interface InclusionProof {
  logIndex: number;
  treeSize: number;
  rootHash: Buffer;
  hashes: Buffer[];
  checkpoint: string;
}

/**
 * A transparency log in the Rekor mould: a real RFC 6962 Merkle tree (seeded with a few unrelated
 * entries so proofs are not trivial), signed checkpoints (signed notes) and, for a v1 log, signed
 * entry timestamps (SETs) over the canonical JSON of the entry.
 */
export class TestTransparencyLog {
  readonly logId: Buffer;
  readonly origin: string;
  private readonly leaves: Buffer[] = [];

  constructor(
    readonly baseUrl: string,
    readonly keyPair: TestKeyPair,
  ) {
    this.logId = sha256(keyPair.spki);
    this.origin = new URL(baseUrl).host;
    for (let index = 0; index < 5; index++) this.leaves.push(leafHash(randomBytes(40)));
  }

  /** Appends an entry body and proves its inclusion in the tree that results. */
  append(body: Buffer, signCheckpointWith?: KeyObject): InclusionProof {
    this.leaves.push(leafHash(body));
    const logIndex = this.leaves.length - 1;
    const treeSize = this.leaves.length;
    const rootHash = treeHash(this.leaves);
    return {
      logIndex,
      treeSize,
      rootHash,
      hashes: auditPath(logIndex, this.leaves),
      checkpoint: this.checkpoint(treeSize, rootHash, signCheckpointWith),
    };
  }

  /** A signed note: origin, size and root hash, signed by the log (key hint = first 4 bytes of the log ID). */
  checkpoint(treeSize: number, rootHash: Buffer, signWith?: KeyObject): string {
    const note = `${this.origin}\n${treeSize}\n${rootHash.toString('base64')}\n`;
    const signature = signBytes(signWith ?? this.keyPair.privateKey, Buffer.from(note, 'utf8'));
    return `${note}\n\u2014 ${this.origin} ${Buffer.concat([this.logId.subarray(0, 4), signature]).toString('base64')}\n`;
  }

  /** Rekor's SET: the log's signature over the canonical JSON of body, integrated time, index and log ID. */
  signedEntryTimestamp(
    bodyBase64: string,
    integratedTime: number,
    logIndex: number,
    signWith?: KeyObject,
  ): Buffer {
    const payload = json.canonicalize({
      body: bodyBase64,
      integratedTime,
      logIndex,
      logID: this.logId.toString('hex'),
    });
    return signBytes(signWith ?? this.keyPair.privateKey, Buffer.from(payload, 'utf8'));
  }
}

function leafHash(data: Buffer): Buffer {
  return sha256(Buffer.from([0]), data);
}

function nodeHash(left: Buffer, right: Buffer): Buffer {
  return sha256(Buffer.from([1]), left, right);
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function treeHash(leaves: Buffer[]): Buffer {
  if (leaves.length === 1) return leaves[0] as Buffer;
  const k = largestPowerOfTwoBelow(leaves.length);
  return nodeHash(treeHash(leaves.slice(0, k)), treeHash(leaves.slice(k)));
}

/** RFC 6962 PATH(m, D[n]), lowest level first. */
function auditPath(index: number, leaves: Buffer[]): Buffer[] {
  if (leaves.length <= 1) return [];
  const k = largestPowerOfTwoBelow(leaves.length);
  return index < k
    ? [...auditPath(index, leaves.slice(0, k)), treeHash(leaves.slice(k))]
    : [...auditPath(index - k, leaves.slice(k)), treeHash(leaves.slice(0, k))];
}

const OID = {
  sha256: '2.16.840.1.101.3.4.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  policy: '1.3.6.1.4.1.57264.2',
};

/** An RFC 3161 timestamping authority whose responses are built by hand (CMS SignedData, ECDSA P-256). */
export class TestTimestampAuthority {
  private serial = 1000n;

  constructor(
    readonly baseUrl: string,
    readonly root: TestCertificate,
    readonly leaf: TestCertificate,
  ) {}

  /** A DER TimeStampResp stamping sha256(`data`) at `time` (whole seconds, as TSAs report). */
  timestamp(data: Uint8Array, time: Date): Buffer {
    this.serial += 1n;
    const tstInfo = sequence(
      integer(1),
      oid(OID.policy),
      sequence(algorithmIdentifier(OID.sha256), octetString(sha256(data))),
      integer(this.serial),
      generalizedTime(time),
    );
    const attributes = [
      sequence(oid(OID.contentType), set(oid(OID.tstInfo))),
      sequence(oid(OID.messageDigest), set(octetString(sha256(tstInfo)))),
    ];
    const signedAttributes = set(...attributes);
    const signature = signBytes(this.leaf.keyPair.privateKey, signedAttributes);
    const leaf = SigstoreCertificate.parse(Buffer.from(this.leaf.der));
    const tbs = leaf.tbsCertificate;
    const issuerAndSerial = sequence(
      (tbs.subs[3] as typeof tbs).toDER(),
      (tbs.subs[1] as typeof tbs).toDER(),
    );
    const signerInfo = sequence(
      integer(1),
      issuerAndSerial,
      algorithmIdentifier(OID.sha256),
      implicitConstructed(0, signedAttributes),
      algorithmIdentifier(OID.ecdsaWithSha256),
      octetString(signature),
    );
    const signedData = sequence(
      integer(3),
      set(algorithmIdentifier(OID.sha256)),
      sequence(oid(OID.tstInfo), explicit(0, octetString(tstInfo))),
      set(signerInfo),
    );
    const token = sequence(oid(OID.signedData), explicit(0, signedData));
    return sequence(sequence(integer(0)), token);
  }
}
