import { checkDigest } from '../reference/index.js';
import { goJson, isRecord, parseJson } from './encoding.js';
import { SignatureError } from './errors.js';
import { CosignMediaType } from './media-types.js';

export const IN_TOTO_STATEMENT_V01 = 'https://in-toto.io/Statement/v0.1';
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';

export interface StatementSubject {
  name?: string;
  digest: Record<string, string>;
  annotations?: Record<string, unknown>;
}

/** An in-toto statement: the checked fields, plus the whole decoded JSON (what a CEL condition sees). */
export interface InTotoStatement {
  type: string;
  subject: StatementSubject[];
  predicateType: string;
  predicate: unknown;
  json: Record<string, unknown>;
}

export function parseStatement(bytes: Uint8Array): InTotoStatement {
  const json = parseJson(bytes, 'in-toto statement', 'INVALID_PAYLOAD');
  const bad = (detail: string) => new SignatureError('INVALID_PAYLOAD', `in-toto statement ${detail}`);
  if (!isRecord(json)) throw bad('is not a JSON object');
  const type = json._type;
  if (type !== IN_TOTO_STATEMENT_V01 && type !== IN_TOTO_STATEMENT_V1)
    throw bad(`has _type ${JSON.stringify(type)}, not an in-toto Statement v0.1 or v1`);
  if (typeof json.predicateType !== 'string' || json.predicateType === '') throw bad('has no predicateType');
  if (!Array.isArray(json.subject) || json.subject.length === 0) throw bad('has no subject');
  const subject = json.subject.map((entry, index): StatementSubject => {
    if (!isRecord(entry) || !isRecord(entry.digest)) throw bad(`subject ${index} has no digest`);
    const digest: Record<string, string> = {};
    for (const [algorithm, value] of Object.entries(entry.digest)) {
      if (typeof value !== 'string') throw bad(`subject ${index} digest ${algorithm} is not a string`);
      digest[algorithm] = value;
    }
    return {
      ...(typeof entry.name === 'string' && { name: entry.name }),
      digest,
      ...(isRecord(entry.annotations) && { annotations: entry.annotations }),
    };
  });
  return { type, subject, predicateType: json.predicateType, predicate: json.predicate, json };
}

/**
 * The statement a DSSE envelope carries, whether it came in a legacy `.att` layer or a bundle: the
 * envelope must say it holds in-toto, and the payload must be a statement.
 */
export function envelopeStatement(envelope: { payloadType: string; payload: Uint8Array }): InTotoStatement {
  if (envelope.payloadType !== CosignMediaType.IN_TOTO)
    throw new SignatureError(
      'INVALID_PAYLOAD',
      `the envelope's payload type is ${envelope.payloadType}, not ${CosignMediaType.IN_TOTO}`,
    );
  return parseStatement(envelope.payload);
}

/** The subjects that name `digest` (`sha256:<hex>` → `{"sha256": "<hex>"}`). */
export function subjectsNaming(statement: InTotoStatement, digest: string): StatementSubject[] {
  checkDigest(digest);
  const [algorithm, hex] = digest.split(':') as [string, string];
  return statement.subject.filter((subject) => subject.digest[algorithm]?.toLowerCase() === hex);
}

/** A statement as cosign writes one (field order `_type`, `subject`, `predicateType`, `predicate`). */
export function buildStatement(input: {
  type?: string;
  subject: StatementSubject[];
  predicateType: string;
  predicate: unknown;
}): Buffer {
  return Buffer.from(
    goJson({
      _type: input.type ?? IN_TOTO_STATEMENT_V1,
      subject: input.subject.map((s) => ({
        ...(s.name !== undefined && { name: s.name }),
        digest: s.digest,
        ...(s.annotations !== undefined && { annotations: s.annotations }),
      })),
      predicateType: input.predicateType,
      predicate: input.predicate,
    }),
  );
}

/** `sha256:<hex>` → `{ sha256: '<hex>' }`. */
export function digestSet(digest: string): Record<string, string> {
  checkDigest(digest);
  const [algorithm, hex] = digest.split(':') as [string, string];
  return { [algorithm]: hex };
}
