import { isRecord, parseJson, utf8 } from './encoding.js';
import { SignatureError } from './errors.js';

/** cosign's short predicate-type names (`--type`), and the URIs they stand for. */
export const PREDICATE_TYPE_ALIASES: Readonly<Record<string, string>> = {
  custom: 'https://cosign.sigstore.dev/attestation/v1',
  slsaprovenance: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance02: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance1: 'https://slsa.dev/provenance/v1',
  link: 'https://in-toto.io/Link/v1',
  spdx: 'https://spdx.dev/Document',
  spdxjson: 'https://spdx.dev/Document',
  cyclonedx: 'https://cyclonedx.org/bom',
  vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
  openvex: 'https://openvex.dev/ns',
};

export const CUSTOM_PREDICATE_TYPE = PREDICATE_TYPE_ALIASES.custom as string;

/** A short name mapped to its URI; a URI as it is; anything else refused. */
export function resolvePredicateType(value: string): string {
  const alias = PREDICATE_TYPE_ALIASES[value];
  if (alias) return alias;
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/.test(value)) return value;
  throw new SignatureError(
    'INVALID_PREDICATE',
    `predicate type ${JSON.stringify(value)} is neither a URI nor one of ${Object.keys(PREDICATE_TYPE_ALIASES).join(', ')}`,
  );
}

/**
 * The predicate cosign's `attest` puts in the statement for a predicate file: for `custom`, the file
 * as text under `Data` with a `Timestamp`; for every other type, the file's JSON object.
 */
export function buildPredicate(predicateType: string, file: Uint8Array, now: Date = new Date()): unknown {
  if (predicateType === CUSTOM_PREDICATE_TYPE)
    return { Data: utf8(file), Timestamp: now.toISOString().replace(/\.\d{3}Z$/, 'Z') };
  const json = parseJson(file, 'predicate file', 'INVALID_PAYLOAD');
  if (!isRecord(json))
    throw new SignatureError('INVALID_PREDICATE', `the predicate for ${predicateType} must be a JSON object`);
  return json;
}
