/**
 * The common shapes of ImageValidatingPolicy validations, read from their CEL:
 *
 *   images.<kind>.map(i, verifyImageSignatures(i, [attestors.a, attestors.b])).all(e, e > 0)
 *   images.<kind>.map(i, verifyAttestationSignatures(i, attestations.x, [attestors.a])).all(e, e >= 1)
 *   images.<kind>.map(i, extractPayload(i, attestations.x).field.path == 'value').all(e, e)
 *   images.<kind>.map(i, has(extractPayload(i, attestations.x).field.path)).all(e, e)
 *
 * The verify functions return how many of the listed attestors verified; the comparison says how many
 * are needed. Any other expression is not translated.
 */

export type Validation =
  | { type: 'signatures'; category: string; attestors: string[]; count: number }
  | { type: 'attestation'; category: string; attestation: string; attestors: string[]; count: number }
  | { type: 'payload'; category: string; attestation: string; field: string[]; value?: string };

const ID = '[A-Za-z_][A-Za-z0-9_]*';
const LIST = `\\[\\s*(attestors\\.${ID}(?:\\s*,\\s*attestors\\.${ID})*)\\s*\\]`;
const HEAD = `^images\\.(${ID})\\.map\\(\\s*(${ID})\\s*,\\s*`;
const TAIL = `\\)\\.all\\(\\s*(${ID})\\s*,\\s*\\5\\s*(>=|>|==)\\s*(\\d+)\\s*\\)$`;
const SIGNATURES = new RegExp(
  `${HEAD}verifyImageSignatures\\(\\s*\\2\\s*,\\s*${LIST}\\s*\\)${TAIL.replace('\\5', '\\4')}`,
);
const ATTESTATION = new RegExp(
  `${HEAD}verifyAttestationSignatures\\(\\s*\\2\\s*,\\s*attestations\\.(${ID})\\s*,\\s*${LIST}\\s*\\)${TAIL}`,
);
const PAYLOAD = new RegExp(
  `${HEAD}extractPayload\\(\\s*\\2\\s*,\\s*attestations\\.(${ID})\\s*\\)((?:\\.${ID})+)\\s*==\\s*('(?:[^'\\\\]|\\\\.)*'|"(?:[^"\\\\]|\\\\.)*")\\s*\\)\\.all\\(\\s*(${ID})\\s*,\\s*\\6\\s*\\)$`,
);

const PAYLOAD_HAS = new RegExp(
  `${HEAD}has\\(\\s*extractPayload\\(\\s*\\2\\s*,\\s*attestations\\.(${ID})\\s*\\)((?:\\.${ID})+)\\s*\\)\\s*\\)\\.all\\(\\s*(${ID})\\s*,\\s*\\5\\s*\\)$`,
);

function attestorNames(list: string): string[] {
  return list.split(',').map((item) => item.trim().slice('attestors.'.length));
}

/** The count a comparison of the verified-attestor count asks for. */
function needed(operator: string, value: number): number | undefined {
  if (operator === '>') return value + 1;
  if (operator === '>=' || operator === '==') return Math.max(value, 1);
  return undefined;
}

/** Expressions longer than this are not read (the shapes matched here are short; this bounds the cost). */
const MAX_EXPRESSION_LENGTH = 2048;

export function readValidation(expression: string): Validation | undefined {
  const text = expression.trim();
  if (text.length > MAX_EXPRESSION_LENGTH) return undefined;
  const signatures = SIGNATURES.exec(text);
  if (signatures) {
    const attestors = attestorNames(signatures[3] as string);
    const count = needed(signatures[5] as string, Number(signatures[6]));
    if (count === undefined || count > attestors.length) return undefined;
    if (signatures[5] === '==' && count !== attestors.length) return undefined;
    return { type: 'signatures', category: signatures[1] as string, attestors, count };
  }
  const attestation = ATTESTATION.exec(text);
  if (attestation) {
    const attestors = attestorNames(attestation[4] as string);
    const count = needed(attestation[6] as string, Number(attestation[7]));
    if (count === undefined || count > attestors.length) return undefined;
    if (attestation[6] === '==' && count !== attestors.length) return undefined;
    return {
      type: 'attestation',
      category: attestation[1] as string,
      attestation: attestation[3] as string,
      attestors,
      count,
    };
  }
  const payload = PAYLOAD.exec(text);
  if (payload) {
    const literal = payload[5] as string;
    const value = literal.startsWith('"')
      ? (JSON.parse(literal) as string)
      : literal.slice(1, -1).replace(/\\(.)/g, '$1');
    return {
      type: 'payload',
      category: payload[1] as string,
      attestation: payload[3] as string,
      field: (payload[4] as string).slice(1).split('.'),
      value,
    };
  }
  const has = PAYLOAD_HAS.exec(text);
  if (has)
    return {
      type: 'payload',
      category: has[1] as string,
      attestation: has[3] as string,
      field: (has[4] as string).slice(1).split('.'),
    };
  return undefined;
}
