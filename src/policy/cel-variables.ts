/**
 * The names a CEL policy may read. policy-controller hands cue and rego one JSON document; vouch binds
 * that document's top-level fields as CEL variables, so a cue field `predicate.builder.id` is the CEL
 * expression `predicate.builder.id`.
 */

/**
 * An attestation policy sees the in-toto statement: whole as `statement` (as `vouch verify-attestation
 * --condition` does), and its fields `predicateType`, `predicate` and `subject` at the top level.
 */
export const ATTESTATION_CEL_VARIABLES: readonly string[] = [
  'statement',
  'predicateType',
  'predicate',
  'subject',
];

/** What a policy-level (`spec.policy`) CEL condition may read, given its include flags. */
export function policyCelVariables(flags: {
  fetchConfigFile: boolean;
  includeSpec: boolean;
  includeObjectMeta: boolean;
  includeTypeMeta: boolean;
}): string[] {
  return [
    'authorityMatches',
    ...(flags.fetchConfigFile ? ['config'] : []),
    ...(flags.includeSpec ? ['spec'] : []),
    ...(flags.includeObjectMeta ? ['metadata'] : []),
    ...(flags.includeTypeMeta ? ['typemeta'] : []),
  ];
}
