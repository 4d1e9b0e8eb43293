/**
 * The verification config build tools use (policy-controller's `pkg/policy.Verification`, from ko):
 * `{no-match-policy: allow|warn|deny, policies: [{data|path|url}]}`. vouch adds `sha256sum` next to
 * `url`: a policy fetched over the network must name the digest of its body, as `policy.remote` does.
 */
import { z } from 'zod';
import { optional, optionalText } from './common.js';

export const verificationSourceSchema = z.strictObject({
  data: optionalText,
  path: optionalText,
  url: optionalText,
  sha256sum: optionalText,
});
export type VerificationSourceInput = z.infer<typeof verificationSourceSchema>;

export const verificationConfigSchema = z.strictObject({
  'no-match-policy': optionalText,
  policies: optional(z.array(verificationSourceSchema)),
});
export type VerificationConfigInput = z.infer<typeof verificationConfigSchema>;
