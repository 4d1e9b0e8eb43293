/**
 * The shape of Kyverno's `ClusterPolicy` / `Policy` (kyverno.io v1 and v2beta1) as far as image
 * verification reads it, field for field from Kyverno's CRDs (config/crds/kyverno). Parts that are not
 * image verification (`validate`, `mutate`, `generate`, contexts other than ConfigMaps) are accepted as
 * they are: the translator reports them as not imported. v2beta1 has none of v1's deprecated
 * rule-level fields (`image`, `key`, `roots`, …).
 */
import { z } from 'zod';
import {
  labelSelectorSchema,
  objectMetaSchema,
  optional,
  optionalBoolean,
  optionalText,
} from '../../schema/common.js';

const stringList = optional(z.array(z.string()));
const stringMap = optional(z.record(z.string(), z.string()));

export const rekorSchema = z.strictObject({
  url: optionalText,
  pubkey: optionalText,
  ignoreTlog: optionalBoolean,
});

export const ctlogSchema = z.strictObject({
  ignoreSCT: optionalBoolean,
  pubkey: optionalText,
  tsaCertChain: optionalText,
});

export const staticKeySchema = z.strictObject({
  publicKeys: optionalText,
  signatureAlgorithm: optionalText,
  kms: optionalText,
  secret: optional(z.strictObject({ name: z.string(), namespace: z.string() })),
  rekor: optional(rekorSchema),
  ctlog: optional(ctlogSchema),
});

export const certificateSchema = z.strictObject({
  cert: optionalText,
  certChain: optionalText,
  rekor: optional(rekorSchema),
  ctlog: optional(ctlogSchema),
});

export const keylessSchema = z.strictObject({
  rekor: optional(rekorSchema),
  ctlog: optional(ctlogSchema),
  issuer: optionalText,
  issuerRegExp: optionalText,
  subject: optionalText,
  subjectRegExp: optionalText,
  roots: optionalText,
  additionalExtensions: stringMap,
});

export const attestorSchema = z.strictObject({
  keys: optional(staticKeySchema),
  certificates: optional(certificateSchema),
  keyless: optional(keylessSchema),
  // A nested attestor set, kept as JSON by Kyverno (x-kubernetes-preserve-unknown-fields): parsed when read.
  attestor: optional(z.unknown()),
  annotations: stringMap,
  repository: optionalText,
  signatureAlgorithm: optionalText,
});
export type Attestor = z.infer<typeof attestorSchema>;

export const attestorSetSchema = z.strictObject({
  count: optional(z.number().int().min(1)),
  entries: optional(z.array(attestorSchema)),
});
export type AttestorSet = z.infer<typeof attestorSetSchema>;

export const OPERATORS = [
  'Equals',
  'NotEquals',
  'In',
  'AnyIn',
  'AllIn',
  'NotIn',
  'AnyNotIn',
  'AllNotIn',
  'GreaterThanOrEquals',
  'GreaterThan',
  'LessThanOrEquals',
  'LessThan',
  'DurationGreaterThanOrEquals',
  'DurationGreaterThan',
  'DurationLessThanOrEquals',
  'DurationLessThan',
] as const;

export const conditionSchema = z.strictObject({
  key: z.unknown(),
  operator: z.enum(OPERATORS),
  value: z.unknown(),
  message: optionalText,
});
export type Condition = z.infer<typeof conditionSchema>;

export const anyAllSchema = z.strictObject({
  any: optional(z.array(conditionSchema)),
  all: optional(z.array(conditionSchema)),
});
export type AnyAllConditions = z.infer<typeof anyAllSchema>;

export const attestationSchema = z.strictObject({
  name: optionalText,
  predicateType: optionalText,
  type: optionalText,
  attestors: optional(z.array(attestorSetSchema)),
  conditions: optional(z.array(anyAllSchema)),
});
export type Attestation = z.infer<typeof attestationSchema>;

const failureActionSchema = optional(z.enum(['Audit', 'Enforce']));

const commonImageVerification = {
  failureAction: failureActionSchema,
  type: optional(z.enum(['Cosign', 'SigstoreBundle', 'Notary'])),
  imageReferences: stringList,
  skipImageReferences: stringList,
  attestors: optional(z.array(attestorSetSchema)),
  attestations: optional(z.array(attestationSchema)),
  repository: optionalText,
  mutateDigest: optionalBoolean,
  verifyDigest: optionalBoolean,
  validate: optional(z.strictObject({ message: optionalText, deny: optional(z.unknown()) })),
  required: optionalBoolean,
  imageRegistryCredentials: optional(
    z.strictObject({
      allowInsecureRegistry: optionalBoolean,
      providers: stringList,
      secrets: stringList,
    }),
  ),
  useCache: optionalBoolean,
};

const deprecatedImageVerification = {
  image: optionalText,
  key: optionalText,
  roots: optionalText,
  subject: optionalText,
  issuer: optionalText,
  additionalExtensions: stringMap,
  annotations: stringMap,
  cosignOCI11: optionalBoolean,
};

export const imageVerificationV1Schema = z.strictObject({
  ...commonImageVerification,
  ...deprecatedImageVerification,
});
export type ImageVerification = z.infer<typeof imageVerificationV1Schema>;
const imageVerificationV2Schema = z.strictObject(commonImageVerification);

const resourceDescriptionSchema = z.strictObject({
  kinds: stringList,
  name: optionalText,
  names: stringList,
  namespaces: stringList,
  annotations: stringMap,
  selector: optional(labelSelectorSchema),
  namespaceSelector: optional(labelSelectorSchema),
  operations: stringList,
});
export type ResourceDescription = z.infer<typeof resourceDescriptionSchema>;

const subjectSchema = z.strictObject({
  kind: z.string(),
  name: z.string(),
  namespace: optionalText,
  apiGroup: optionalText,
});

export const resourceFilterSchema = z.strictObject({
  resources: optional(resourceDescriptionSchema),
  subjects: optional(z.array(subjectSchema)),
  roles: stringList,
  clusterRoles: stringList,
});
export type ResourceFilter = z.infer<typeof resourceFilterSchema>;

const matchV1Schema = z.strictObject({
  any: optional(z.array(resourceFilterSchema)),
  all: optional(z.array(resourceFilterSchema)),
  // Deprecated: a filter written straight under match (still read by Kyverno).
  resources: optional(resourceDescriptionSchema),
  subjects: optional(z.array(subjectSchema)),
  roles: stringList,
  clusterRoles: stringList,
});
export type MatchResources = z.infer<typeof matchV1Schema>;

const contextEntrySchema = z.strictObject({
  name: z.string(),
  configMap: optional(z.strictObject({ name: z.string(), namespace: optionalText })),
  apiCall: optional(z.unknown()),
  globalReference: optional(z.unknown()),
  imageRegistry: optional(z.unknown()),
  variable: optional(z.unknown()),
});
export type ContextEntry = z.infer<typeof contextEntrySchema>;

function ruleSchema(version: 'v1' | 'v2beta1') {
  return z.strictObject({
    name: z.string().max(63),
    context: optional(z.array(contextEntrySchema)),
    reportProperties: stringMap,
    match: matchV1Schema,
    exclude: optional(matchV1Schema),
    imageExtractors: optional(z.record(z.string(), z.unknown())),
    preconditions: optional(z.unknown()),
    celPreconditions: optional(z.array(z.unknown())),
    mutate: optional(z.unknown()),
    validate: optional(z.unknown()),
    generate: optional(z.unknown()),
    verifyImages: optional(
      z.array(version === 'v1' ? imageVerificationV1Schema : (imageVerificationV2Schema as never)),
    ),
    skipBackgroundRequests: optionalBoolean,
  });
}
export type Rule = z.infer<ReturnType<typeof ruleSchema>>;

export const VALIDATION_FAILURE_ACTIONS = ['audit', 'enforce', 'Audit', 'Enforce'] as const;

const overrideSchema = z.strictObject({
  action: optional(z.enum(VALIDATION_FAILURE_ACTIONS)),
  namespaces: stringList,
  namespaceSelector: optional(labelSelectorSchema),
});
export type FailureActionOverride = z.infer<typeof overrideSchema>;

function specSchema(version: 'v1' | 'v2beta1') {
  return z.strictObject({
    rules: optional(z.array(ruleSchema(version))),
    applyRules: optional(z.enum(['All', 'One'])),
    failurePolicy: optional(z.enum(['Ignore', 'Fail'])),
    validationFailureAction: optional(z.enum(VALIDATION_FAILURE_ACTIONS)),
    validationFailureActionOverrides: optional(z.array(overrideSchema)),
    emitWarning: optionalBoolean,
    admission: optionalBoolean,
    background: optionalBoolean,
    schemaValidation: optionalBoolean,
    webhookTimeoutSeconds: optional(z.number().int()),
    mutateExistingOnPolicyUpdate: optionalBoolean,
    generateExistingOnPolicyUpdate: optionalBoolean,
    generateExisting: optionalBoolean,
    useServerSideApply: optionalBoolean,
    webhookConfiguration: optional(
      z.strictObject({
        failurePolicy: optional(z.enum(['Ignore', 'Fail'])),
        timeoutSeconds: optional(z.number().int()),
        matchConditions: optional(z.array(z.unknown())),
      }),
    ),
  });
}
export type PolicySpec = z.infer<ReturnType<typeof specSchema>>;

export function kyvernoPolicySchema(version: 'v1' | 'v2beta1') {
  return z.strictObject({
    apiVersion: z.string(),
    kind: z.enum(['ClusterPolicy', 'Policy']),
    metadata: objectMetaSchema,
    spec: specSchema(version),
    status: optional(z.unknown()),
  });
}
export type KyvernoPolicy = z.infer<ReturnType<typeof kyvernoPolicySchema>>;

export const configMapSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('ConfigMap'),
  metadata: z.object({ name: z.string(), namespace: optionalText }),
  data: optional(z.record(z.string(), z.string())),
});
