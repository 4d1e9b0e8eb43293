/**
 * Ratify's configuration resources (config.ratify.deislabs.io v1alpha1 / v1beta1, cluster-scoped and
 * Namespaced*): `Verifier`, `Store`, `Policy`, `CertificateStore`, `KeyManagementProvider`, and the
 * Gatekeeper constraint that enforces Ratify's answer. The CRDs keep each plugin's `parameters` open
 * (x-kubernetes-preserve-unknown-fields); the notation and cosign verifiers decode them strictly here,
 * field for field from their Go types (pkg/verifier/notation, pkg/verifier/cosign).
 */
import { z } from 'zod';
import { objectMetaSchema, optional, optionalBoolean, optionalText } from '../../schema/common.js';

const stringList = optional(z.array(z.string()));

export const resourceSchema = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: objectMetaSchema,
  spec: z.record(z.string(), z.unknown()),
  status: optional(z.unknown()),
});

export const verifierSpecSchema = z.strictObject({
  name: z.string(),
  type: optionalText,
  artifactTypes: optionalText,
  address: optionalText,
  version: optionalText,
  parameters: optional(z.record(z.string(), z.unknown())),
  source: optional(z.unknown()),
});
export type VerifierSpec = z.infer<typeof verifierSpecSchema>;

/** notation-go's trustpolicy.Document (what Ratify's notation verifier reads as trustPolicyDoc). */
export const trustPolicyDocumentSchema = z.strictObject({
  version: z.string(),
  trustPolicies: z.array(
    z.strictObject({
      name: z.string(),
      registryScopes: z.array(z.string()),
      signatureVerification: z.strictObject({
        level: z.string(),
        override: optional(z.record(z.string(), z.string())),
        verifyTimestamp: optionalText,
      }),
      trustStores: stringList,
      trustedIdentities: stringList,
    }),
  ),
});
export type TrustPolicyDocument = z.infer<typeof trustPolicyDocumentSchema>;

export const notationParametersSchema = z.strictObject({
  verificationCerts: stringList,
  verificationCertStores: optional(
    z.record(z.string(), z.union([z.array(z.string()), z.record(z.string(), z.array(z.string()))])),
  ),
  trustPolicyDoc: trustPolicyDocumentSchema,
});

const keyConfigSchema = z.strictObject({
  provider: optionalText,
  name: optionalText,
  version: optionalText,
  file: optionalText,
});

export const cosignTrustPolicySchema = z.strictObject({
  version: optionalText,
  name: z.string(),
  scopes: z.array(z.string()),
  keys: optional(z.array(keyConfigSchema)),
  keyless: optional(
    z.strictObject({
      ctLogVerify: optionalBoolean,
      certificateIdentity: optionalText,
      certificateIdentityRegExp: optionalText,
      certificateOIDCIssuer: optionalText,
      certificateOIDCIssuerRegExp: optionalText,
    }),
  ),
  tLogVerify: optionalBoolean,
  rekorURL: optionalText,
});
export type CosignTrustPolicy = z.infer<typeof cosignTrustPolicySchema>;

export const cosignParametersSchema = z.strictObject({
  key: optionalText,
  rekorURL: optionalText,
  nestedArtifactTypes: stringList,
  trustPolicies: optional(z.array(cosignTrustPolicySchema)),
});

/** An inline KeyManagementProvider or CertificateStore: the PEM it holds. */
export const inlineParametersSchema = z.strictObject({
  contentType: optional(z.enum(['certificate', 'key'])),
  value: z.string(),
});
