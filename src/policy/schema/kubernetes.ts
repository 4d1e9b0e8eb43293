/**
 * The two core Kubernetes kinds vouch reads next to policies: a `Secret` supplies what a
 * `key.secretRef` (or `keyless.ca-cert.secretRef`) names, a `ConfigMap` what a `policy.configMapRef`
 * names — the same objects policy-controller would read from the cluster.
 */
import { z } from 'zod';
import { objectMetaSchema, optional, optionalText } from './common.js';

export const secretSchema = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Secret'),
  metadata: objectMetaSchema,
  type: optionalText,
  immutable: optional(z.boolean()),
  data: optional(z.record(z.string(), z.string())),
  stringData: optional(z.record(z.string(), z.string())),
});
export type SecretInput = z.infer<typeof secretSchema>;

export const configMapSchema = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('ConfigMap'),
  metadata: objectMetaSchema,
  immutable: optional(z.boolean()),
  data: optional(z.record(z.string(), z.string())),
  binaryData: optional(z.record(z.string(), z.string())),
});
export type ConfigMapInput = z.infer<typeof configMapSchema>;
