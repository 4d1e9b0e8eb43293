/**
 * The shape of Kyverno's `ImageValidatingPolicy` (policies.kyverno.io v1alpha1, v1beta1 and v1 carry
 * the same fields), from config/crds/policies.kyverno.io. Kubernetes admission-policy parts Kyverno
 * passes through (match constraints, variables, audit annotations) are accepted as they are.
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
const valueOrExpression = z.strictObject({ value: optionalText, expression: optionalText });

export const cosignAttestorSchema = z.strictObject({
  annotations: optional(z.record(z.string(), z.string())),
  certificate: optional(
    z.strictObject({ cert: optional(valueOrExpression), certChain: optional(valueOrExpression) }),
  ),
  ctlog: optional(
    z.strictObject({
      url: optionalText,
      rekorPubKey: optionalText,
      ctLogPubKey: optionalText,
      insecureIgnoreSCT: optionalBoolean,
      insecureIgnoreTlog: optionalBoolean,
      tsaCertChain: optionalText,
    }),
  ),
  key: optional(
    z.strictObject({
      data: optionalText,
      expression: optionalText,
      hashAlgorithm: optionalText,
      kms: optionalText,
    }),
  ),
  keyless: optional(
    z.strictObject({
      identities: z.array(
        z.strictObject({
          issuer: optionalText,
          issuerRegExp: optionalText,
          subject: optionalText,
          subjectRegExp: optionalText,
          subjectExpression: optionalText,
        }),
      ),
      roots: optionalText,
      additionalExtensions: optional(z.record(z.string(), z.string())),
    }),
  ),
  source: optional(
    z.strictObject({
      repository: optionalText,
      tagPrefix: optionalText,
      PullSecrets: optional(z.array(z.strictObject({ name: optionalText }))),
    }),
  ),
  trustedRoot: optional(valueOrExpression),
  tuf: optional(
    z.strictObject({
      mirror: optionalText,
      root: optional(z.strictObject({ data: optionalText, path: optionalText })),
    }),
  ),
});
export type CosignAttestor = z.infer<typeof cosignAttestorSchema>;

export const ivpAttestorSchema = z.strictObject({
  name: z.string(),
  cosign: optional(cosignAttestorSchema),
  notary: optional(
    z.strictObject({ certs: optional(valueOrExpression), tsaCerts: optional(valueOrExpression) }),
  ),
});
export type IvpAttestor = z.infer<typeof ivpAttestorSchema>;

const resourceRuleSchema = z.strictObject({
  apiGroups: stringList,
  apiVersions: stringList,
  operations: stringList,
  resources: stringList,
  resourceNames: stringList,
  scope: optionalText,
});
export type ResourceRule = z.infer<typeof resourceRuleSchema>;

export const ivpSchema = z.strictObject({
  apiVersion: z.string(),
  kind: z.enum(['ImageValidatingPolicy', 'NamespacedImageValidatingPolicy']),
  metadata: objectMetaSchema,
  spec: z.strictObject({
    matchConstraints: optional(
      z.strictObject({
        resourceRules: optional(z.array(resourceRuleSchema)),
        excludeResourceRules: optional(z.array(resourceRuleSchema)),
        matchPolicy: optionalText,
        namespaceSelector: optional(labelSelectorSchema),
        objectSelector: optional(labelSelectorSchema),
      }),
    ),
    matchConditions: optional(z.array(z.unknown())),
    matchImageReferences: optional(z.array(z.strictObject({ glob: optionalText, expression: optionalText }))),
    validationActions: optional(z.array(z.enum(['Deny', 'Audit', 'Warn']))),
    failurePolicy: optional(z.enum(['Ignore', 'Fail'])),
    webhookConfiguration: optional(z.strictObject({ timeoutSeconds: optional(z.number().int()) })),
    autogen: optional(
      z.strictObject({ podControllers: optional(z.strictObject({ controllers: stringList })) }),
    ),
    evaluation: optional(
      z.strictObject({
        admission: optional(z.strictObject({ enabled: optionalBoolean })),
        background: optional(z.strictObject({ enabled: optionalBoolean })),
        mode: optionalText,
      }),
    ),
    credentials: optional(
      z.strictObject({ allowInsecureRegistry: optionalBoolean, providers: stringList, secrets: stringList }),
    ),
    images: optional(z.array(z.strictObject({ name: z.string(), expression: z.string() }))),
    attestors: z.array(ivpAttestorSchema),
    attestations: optional(
      z.array(
        z.strictObject({
          name: z.string(),
          intoto: optional(z.strictObject({ type: z.string() })),
          referrer: optional(z.strictObject({ type: z.string() })),
        }),
      ),
    ),
    validations: z.array(
      z.strictObject({
        expression: z.string(),
        message: optionalText,
        messageExpression: optionalText,
        reason: optionalText,
      }),
    ),
    variables: optional(z.array(z.unknown())),
    auditAnnotations: optional(z.array(z.unknown())),
    validationConfigurations: optional(
      z.strictObject({
        mutateDigest: optionalBoolean,
        verifyDigest: optionalBoolean,
        required: optionalBoolean,
      }),
    ),
  }),
  status: optional(z.unknown()),
});
export type ImageValidatingPolicy = z.infer<typeof ivpSchema>;
