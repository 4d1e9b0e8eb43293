/**
 * The shape of `TrustRoot` (`policy.sigstore.dev/v1alpha1`). Fields that are `[]byte` in Go are base64
 * strings in YAML (`root`, `mirrorFS`, `certChain`, `publicKey`); they are decoded when compiled.
 */
import { z } from 'zod';
import { objectMetaSchema, optional, optionalText } from './common.js';

const remoteSchema = z.strictObject({
  root: optionalText,
  mirror: optionalText,
  targets: optionalText,
  trustedRootTarget: optionalText,
});

const repositorySchema = z.strictObject({
  root: optionalText,
  mirrorFS: optionalText,
  targets: optionalText,
  trustedRootTarget: optionalText,
});

const distinguishedNameSchema = z.strictObject({
  organization: optionalText,
  commonName: optionalText,
});

export const certificateAuthoritySchema = z.strictObject({
  subject: optional(distinguishedNameSchema),
  uri: optionalText,
  certChain: optionalText,
});

export const transparencyLogInstanceSchema = z.strictObject({
  baseURL: optionalText,
  hashAlgorithm: optionalText,
  publicKey: optionalText,
});

const sigstoreKeysSchema = z.strictObject({
  certificateAuthorities: optional(z.array(certificateAuthoritySchema)),
  tLogs: optional(z.array(transparencyLogInstanceSchema)),
  ctLogs: optional(z.array(transparencyLogInstanceSchema)),
  timestampAuthorities: optional(z.array(certificateAuthoritySchema)),
});

export const trustRootSchema = z.strictObject({
  apiVersion: z.string(),
  kind: z.literal('TrustRoot'),
  metadata: objectMetaSchema,
  spec: z.strictObject({
    remote: optional(remoteSchema),
    repository: optional(repositorySchema),
    sigstoreKeys: optional(sigstoreKeysSchema),
    trustedRootJSON: optionalText,
  }),
  status: optional(z.unknown()),
});
export type TrustRootInput = z.infer<typeof trustRootSchema>;
