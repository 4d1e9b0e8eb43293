import { z } from 'zod';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const STATEMENT_TYPES = ['https://in-toto.io/Statement/v0.1', 'https://in-toto.io/Statement/v1'] as const;

const statementSchema = z.object({
  _type: z.enum(STATEMENT_TYPES),
  subject: z
    .array(
      z.object({
        name: z.string().optional(),
        digest: z.record(z.string(), z.string()),
      }),
    )
    .min(1),
  predicateType: z.string().min(1),
  predicate: z.unknown().optional(),
});

/** An in-toto statement (v0.1 or v1), as signed inside a DSSE envelope. */
export type InTotoStatement = z.infer<typeof statementSchema>;

export function parseInTotoStatement(
  payloadType: string,
  payload: Buffer,
): { ok: true; statement: InTotoStatement } | { ok: false; reason: string } {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE)
    return {
      ok: false,
      reason: `DSSE payload type is ${JSON.stringify(payloadType)}, not ${IN_TOTO_PAYLOAD_TYPE}`,
    };
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, reason: 'DSSE payload is not JSON' };
  }
  const parsed = statementSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      reason: `DSSE payload is not an in-toto statement: ${issue?.path.join('.') || '(top level)'}: ${issue?.message ?? ''}`,
    };
  }
  return { ok: true, statement: parsed.data };
}

/** True when some subject carries this SHA-256 digest (hex, compared without regard to case). */
export function statementNamesDigest(statement: InTotoStatement, sha256Hex: string): boolean {
  const wanted = sha256Hex.toLowerCase();
  return statement.subject.some((subject) => subject.digest.sha256?.toLowerCase() === wanted);
}
