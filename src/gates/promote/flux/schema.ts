/**
 * Flux's image-reflector-controller objects as their CRDs (`image.toolkit.fluxcd.io/v1`, and
 * `v1beta2`, whose fields vouch reads are the same) define them, validated strictly: an unknown
 * field, a wrong type, a range or regular expression Flux would reject, is an error with its path.
 * `status` is accepted and ignored (objects exported from a cluster carry one).
 */
import { z } from 'zod';
import { parseReference } from '../../../reference/index.js';
import { isPromoteError } from '../errors.js';
import { checkTemplate, compileGoRegexp, type GoRegexp } from '../tags/go-regexp.js';
import { SemverRange } from '../tags/semver.js';

export const IMAGE_TOOLKIT_GROUP = 'image.toolkit.fluxcd.io';
export const SUPPORTED_VERSIONS: readonly string[] = ['v1', 'v1beta2'];

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DURATION = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;
const TIMEOUT = /^([0-9]+(\.[0-9]+)?(ms|s|m))+$/;

const objectName = z
  .string()
  .max(253)
  .regex(DNS_SUBDOMAIN, 'must be a lowercase DNS subdomain name (RFC 1123)');
const namespaceName = z.string().max(63).regex(DNS_LABEL, 'must be a lowercase DNS label (RFC 1123)');

/** Metadata is Kubernetes' and loose on purpose: exported objects carry uid, managedFields and more. */
const metadata = z.looseObject({
  name: objectName,
  namespace: namespaceName.optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const localReference = z.strictObject({ name: objectName });

function goRegexp(what: string) {
  return z.string().superRefine((value, ctx) => {
    try {
      compileGoRegexp(value);
    } catch (error) {
      if (!isPromoteError(error, 'INVALID_REGEXP')) throw error;
      ctx.addIssue({ code: 'custom', message: `invalid ${what} ${JSON.stringify(value)}: ${error.message}` });
    }
  });
}

/** `spec.image`: a repository without scheme, tag or digest, e.g. `ghcr.io/org/app`. */
const imageName = z.string().superRefine((value, ctx) => {
  const fail = (reason: string) =>
    ctx.addIssue({ code: 'custom', message: `image ${JSON.stringify(value)} ${reason}` });
  if (value.includes('://')) return fail('must not contain a scheme');
  if (value.includes('@')) return fail('must not contain a digest');
  const lastColon = value.lastIndexOf(':');
  if (lastColon > value.lastIndexOf('/')) return fail('must not contain a tag');
  try {
    parseReference(value);
  } catch (error) {
    fail(`is not a valid repository: ${(error as Error).message}`);
  }
});

export const imageRepositorySpec = z.strictObject({
  image: imageName,
  interval: z.string().regex(DURATION, 'must be a duration such as 5m or 1h30m'),
  timeout: z.string().regex(TIMEOUT, 'must be a duration such as 30s or 1m').optional(),
  secretRef: localReference.optional(),
  proxySecretRef: localReference.optional(),
  certSecretRef: localReference.optional(),
  serviceAccountName: z.string().max(253).optional(),
  suspend: z.boolean().optional(),
  accessFrom: z
    .strictObject({
      namespaceSelectors: z.array(
        z.strictObject({ matchLabels: z.record(z.string(), z.string()).optional() }),
      ),
    })
    .optional(),
  exclusionList: z.array(goRegexp('exclusion pattern')).max(25).optional(),
  provider: z.enum(['generic', 'aws', 'azure', 'gcp']).optional(),
  insecure: z.boolean().optional(),
});

const order = z.enum(['asc', 'desc']).optional();

const policyChoice = z
  .strictObject({
    semver: z
      .strictObject({
        range: z.string().superRefine((value, ctx) => {
          try {
            SemverRange.parse(value);
          } catch (error) {
            if (!isPromoteError(error, 'INVALID_SEMVER_RANGE')) throw error;
            ctx.addIssue({
              code: 'custom',
              message: `invalid semver range ${JSON.stringify(value)}: ${error.message}`,
            });
          }
        }),
      })
      .optional(),
    alphabetical: z.strictObject({ order }).optional(),
    numerical: z.strictObject({ order }).optional(),
  })
  .superRefine((value, ctx) => {
    const chosen = (['semver', 'alphabetical', 'numerical'] as const).filter(
      (key) => value[key] !== undefined,
    );
    if (chosen.length !== 1)
      ctx.addIssue({
        code: 'custom',
        message:
          chosen.length === 0
            ? 'exactly one of semver, alphabetical or numerical is required'
            : `exactly one of semver, alphabetical or numerical is allowed, got ${chosen.join(' and ')}`,
      });
  });

const filterTags = z
  .strictObject({
    pattern: z.string().optional(),
    extract: z.string().optional(),
  })
  .superRefine((value, ctx) => {
    let compiled: GoRegexp;
    try {
      compiled = compileGoRegexp(value.pattern ?? '');
    } catch (error) {
      if (!isPromoteError(error, 'INVALID_REGEXP')) throw error;
      ctx.addIssue({
        code: 'custom',
        path: ['pattern'],
        message: `invalid regular expression ${JSON.stringify(value.pattern)}: ${error.message}`,
      });
      return;
    }
    if (value.extract) {
      try {
        checkTemplate(value.extract, compiled);
      } catch (error) {
        if (!isPromoteError(error, 'INVALID_REGEXP')) throw error;
        ctx.addIssue({ code: 'custom', path: ['extract'], message: error.message });
      }
    }
  });

export const imagePolicySpec = z
  .strictObject({
    imageRepositoryRef: z.strictObject({ name: objectName, namespace: namespaceName.optional() }),
    policy: policyChoice,
    filterTags: filterTags.optional(),
    digestReflectionPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
    interval: z.string().regex(DURATION, 'must be a duration such as 5m or 1h30m').optional(),
    suspend: z.boolean().optional(),
  })
  .superRefine((value, ctx) => {
    // The CRD's CEL rules: interval only with, and required by, digestReflectionPolicy Always.
    if (value.interval !== undefined && value.digestReflectionPolicy !== 'Always')
      ctx.addIssue({
        code: 'custom',
        path: ['interval'],
        message: "spec.interval is only accepted when spec.digestReflectionPolicy is set to 'Always'",
      });
    if (value.interval === undefined && value.digestReflectionPolicy === 'Always')
      ctx.addIssue({
        code: 'custom',
        path: ['digestReflectionPolicy'],
        message: "spec.interval must be set when spec.digestReflectionPolicy is set to 'Always'",
      });
  });

function object<Spec extends z.ZodType>(kind: string, spec: Spec) {
  return z.strictObject({
    apiVersion: z.string(),
    kind: z.literal(kind),
    metadata,
    spec,
    status: z.unknown().optional(),
  });
}

export const imageRepositoryObject = object('ImageRepository', imageRepositorySpec);
export const imagePolicyObject = object('ImagePolicy', imagePolicySpec);

export type ImageRepositorySpec = z.infer<typeof imageRepositorySpec>;
export type ImagePolicySpec = z.infer<typeof imagePolicySpec>;
