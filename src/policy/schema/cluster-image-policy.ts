/**
 * The shape of `ClusterImagePolicy` (`policy.sigstore.dev/v1alpha1` and `v1beta1`, which carry the same
 * fields since policy-controller converts between them). Only the shape lives here; the rules that tie
 * fields together (exactly one of key/keyless/static, issuer XOR issuerRegExp, …) are checked when the
 * document is compiled, so that a document with a type error still gets every other error reported.
 */
import { z } from 'zod';
import {
  labelSelectorSchema,
  objectMetaSchema,
  optional,
  optionalBoolean,
  optionalText,
  requiredText,
} from './common.js';

const secretReferenceSchema = z.strictObject({
  name: optionalText,
  namespace: optionalText,
});

/** `KeyRef`: also the shape of `keyless.ca-cert`. */
export const keyRefSchema = z.strictObject({
  data: optionalText,
  secretRef: optional(secretReferenceSchema),
  kms: optionalText,
  hashAlgorithm: optionalText,
});
export type KeyRefInput = z.infer<typeof keyRefSchema>;

export const identitySchema = z.strictObject({
  issuer: optionalText,
  subject: optionalText,
  issuerRegExp: optionalText,
  subjectRegExp: optionalText,
});
export type IdentityInput = z.infer<typeof identitySchema>;

export const keylessRefSchema = z.strictObject({
  url: optionalText,
  identities: optional(z.array(identitySchema)),
  'ca-cert': optional(keyRefSchema),
  trustRootRef: optionalText,
  insecureIgnoreSCT: optionalBoolean,
});

export const staticRefSchema = z.strictObject({
  action: requiredText,
  message: optionalText,
});

export const sourceSchema = z.strictObject({
  oci: optionalText,
  signaturePullSecrets: optional(z.array(z.strictObject({ name: optionalText }))),
  // A pointer in Go: an explicit "" is kept (and means "no prefix").
  tagPrefix: optional(z.string()),
});

export const tlogSchema = z.strictObject({
  url: optionalText,
  trustRootRef: optionalText,
});

export const rfc3161TimestampSchema = z.strictObject({
  trustRootRef: optionalText,
});

export const configMapReferenceSchema = z.strictObject({
  name: optionalText,
  namespace: optionalText,
  key: optionalText,
});

export const remotePolicySchema = z.strictObject({
  url: optionalText,
  sha256sum: optionalText,
});

/** `Policy`, used at the CIP level (`spec.policy`) and inside attestations. */
export const policySchema = z.strictObject({
  type: requiredText,
  data: optionalText,
  remote: optional(remotePolicySchema),
  configMapRef: optional(configMapReferenceSchema),
  fetchConfigFile: optionalBoolean,
  includeSpec: optionalBoolean,
  includeObjectMeta: optionalBoolean,
  includeTypeMeta: optionalBoolean,
});
export type PolicyInput = z.infer<typeof policySchema>;

export const attestationSchema = z.strictObject({
  name: optionalText,
  predicateType: optionalText,
  policy: optional(policySchema),
});

export const authoritySchema = z.strictObject({
  name: optionalText,
  key: optional(keyRefSchema),
  keyless: optional(keylessRefSchema),
  static: optional(staticRefSchema),
  source: optional(z.array(sourceSchema)),
  ctlog: optional(tlogSchema),
  attestations: optional(z.array(attestationSchema)),
  rfc3161timestamp: optional(rfc3161TimestampSchema),
  signatureFormat: optionalText,
});
export type AuthorityInput = z.infer<typeof authoritySchema>;

export const matchResourceSchema = z.strictObject({
  group: optionalText,
  version: optionalText,
  resource: optionalText,
  selector: optional(labelSelectorSchema),
});

export const clusterImagePolicySpecSchema = z.strictObject({
  images: optional(z.array(z.strictObject({ glob: optionalText }))),
  authorities: optional(z.array(authoritySchema)),
  policy: optional(policySchema),
  mode: optionalText,
  match: optional(z.array(matchResourceSchema)),
});

export const clusterImagePolicySchema = z.strictObject({
  apiVersion: z.string(),
  kind: z.literal('ClusterImagePolicy'),
  metadata: objectMetaSchema,
  spec: clusterImagePolicySpecSchema,
  // Written by the controller; accepted (exported objects carry it) and ignored.
  status: optional(z.unknown()),
});
export type ClusterImagePolicyInput = z.infer<typeof clusterImagePolicySchema>;
