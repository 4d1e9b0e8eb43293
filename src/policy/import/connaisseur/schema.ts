/**
 * Connaisseur's configuration as its chart renders it from the Helm values (`application.validators`,
 * `application.policy`) and as Connaisseur decodes it (internal/config, internal/validator, strict YAML:
 * unknown fields are errors there). Validator fields depend on the type; each type's shape is its own.
 */
import { z } from 'zod';
import { optional, optionalBoolean, optionalText } from '../../schema/common.js';

export const keylessSchema = z.strictObject({
  issuer: optionalText,
  subject: optionalText,
  issuerRegex: optionalText,
  subjectRegex: optionalText,
});

export const trustRootSchema = z.strictObject({
  name: z.string(),
  key: optionalText,
  cert: optionalText,
  tsCert: optionalText,
  keyless: optional(keylessSchema),
});
export type TrustRoot = z.infer<typeof trustRootSchema>;

/** Registry credentials: the chart turns username/password into a Secret; Connaisseur reads the Secret. */
const authSchema = z.strictObject({
  secretName: optionalText,
  useKeychain: optionalBoolean,
  username: optionalText,
  password: optionalText,
  registry: optionalText,
});

export const staticValidatorSchema = z.strictObject({
  name: z.string(),
  type: z.literal('static'),
  approve: z.boolean(),
});

export const cosignValidatorSchema = z.strictObject({
  name: z.string(),
  type: z.literal('cosign'),
  host: optional(
    z.strictObject({
      rekor: optionalText,
      rekorPubkey: optionalText,
      fulcioCert: optionalText,
      ctLogPubkey: optionalText,
    }),
  ),
  cert: optionalText,
  auth: optional(authSchema),
  trustRoots: z.array(trustRootSchema),
});
export type CosignValidator = z.infer<typeof cosignValidatorSchema>;

export const notationValidatorSchema = z.strictObject({
  name: z.string(),
  type: z.literal('notation'),
  auth: optional(authSchema),
  cert: optionalText,
  trustRoots: z.array(trustRootSchema),
});
export type NotationValidator = z.infer<typeof notationValidatorSchema>;

export const notaryV1ValidatorSchema = z.strictObject({
  name: z.string(),
  type: z.literal('notaryv1'),
  host: optionalText,
  cert: optionalText,
  auth: optional(authSchema),
  trustRoots: optional(z.array(trustRootSchema)),
});

export const VALIDATOR_SCHEMAS = {
  static: staticValidatorSchema,
  cosign: cosignValidatorSchema,
  notation: notationValidatorSchema,
  notaryv1: notaryV1ValidatorSchema,
} as const;
export type ValidatorType = keyof typeof VALIDATOR_SCHEMAS;
export type Validator =
  | z.infer<typeof staticValidatorSchema>
  | CosignValidator
  | NotationValidator
  | z.infer<typeof notaryV1ValidatorSchema>;

export const ruleSchema = z.strictObject({
  pattern: z.string().min(1),
  validator: optionalText,
  with: optional(
    z.strictObject({
      trustRoot: optionalText,
      verifyInTransparencyLog: optionalBoolean,
      verifySCT: optionalBoolean,
      threshold: optional(z.number().int().min(0)),
      required: optional(z.array(z.string().min(1)).min(1)),
      delegations: optional(z.array(z.string().min(1)).min(1)),
      mode: optional(z.enum(['mutate', 'insecureValidateOnly'])),
      verificationLevel: optional(z.enum(['strict', 'permissive', 'audit'])),
      verifyTimestamp: optional(z.enum(['always', 'afterCertExpiry'])),
    }),
  ),
});
export type Rule = z.infer<typeof ruleSchema>;

export const featuresSchema = z.strictObject({
  automaticUnchangedApproval: optionalBoolean,
  automaticChildApproval: optionalBoolean,
  detectionMode: optionalBoolean,
  namespacedValidation: optional(
    z.strictObject({ enabled: optionalBoolean, mode: optional(z.enum(['ignore', 'validate'])) }),
  ),
  resourceValidationMode: optional(z.enum(['all', 'podsOnly'])),
  cache: optional(
    z.strictObject({ expirySeconds: optional(z.number().int()), cacheErrors: optionalBoolean }),
  ),
});
export type Features = z.infer<typeof featuresSchema>;
