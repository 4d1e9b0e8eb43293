/**
 * ClusterImagePolicy validation: every invalid document with its exact, located error, and valid
 * documents with what they compile to. Modelled on policy-controller's
 * pkg/apis/policy/v1beta1/clusterimagepolicy_validation_test.go, plus the places vouch is stricter.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FULCIO_URL, formatIssue } from '../../src/policy/index.js';
import {
  CERTIFICATE,
  cip,
  GLOBS,
  KEY_AUTHORITY,
  load,
  loadErrors,
  PUBLIC_KEY,
  specErrors,
  yamlDocuments,
} from './helpers.js';

const keyless = (extra: Record<string, unknown> = {}) => ({
  keyless: {
    identities: [
      {
        issuer: 'https://token.actions.githubusercontent.com',
        subject: 'https://github.com/org/repo/.github/workflows/release.yaml@refs/heads/main',
      },
    ],
    ...extra,
  },
});
const identity = (fields: Record<string, unknown>) => ({
  images: GLOBS,
  authorities: [{ keyless: { identities: [fields] } }],
});
const withAuthority = (authority: Record<string, unknown>) => ({ images: GLOBS, authorities: [authority] });
const withPolicy = (policy: Record<string, unknown>) => ({
  images: GLOBS,
  authorities: [KEY_AUTHORITY],
  policy,
});
const withAttestation = (attestation: Record<string, unknown>) =>
  withAuthority({ ...KEY_AUTHORITY, attestations: [attestation] });

const INVALID: { name: string; spec: Record<string, unknown>; errors: string[] }[] = [
  {
    name: 'unknown spec field',
    spec: { imagess: GLOBS, authorities: [KEY_AUTHORITY] },
    errors: ['spec: unknown field "imagess"'],
  },
  {
    name: 'unknown nested field',
    spec: identity({ issuer: 'x', subjectRegex: '.*' }),
    errors: ['spec.authorities[0].keyless.identities[0]: unknown field "subjectRegex"'],
  },
  {
    name: 'wrong type',
    spec: { images: GLOBS, authorities: [KEY_AUTHORITY], mode: 3 },
    errors: ['spec.mode: expected a string, got number 3'],
  },
  {
    name: 'images not a list',
    spec: { images: 'ghcr.io/**', authorities: [KEY_AUTHORITY] },
    errors: ['spec.images: expected a list, got the string "ghcr.io/**"'],
  },
  {
    name: 'no images',
    spec: { authorities: [KEY_AUTHORITY] },
    errors: ['spec.images: at least one image glob is required'],
  },
  {
    name: 'empty glob',
    spec: { images: [{ glob: '' }], authorities: [KEY_AUTHORITY] },
    errors: ['spec.images[0].glob: required field is missing'],
  },
  {
    name: 'glob with regexp characters',
    spec: { images: [{ glob: '[a-z]*' }], authorities: [KEY_AUTHORITY] },
    errors: [
      'spec.images[0].glob: glob "[a-z]*" may contain only letters, digits and - _ : / * . @ (found "[", "]")',
    ],
  },
  {
    name: 'no authorities (policy-controller can admit these)',
    spec: { images: GLOBS },
    errors: [
      'spec.authorities: at least one authority is required (vouch refuses a policy without authorities; policy-controller can be configured to admit it)',
    ],
  },
  {
    name: 'empty authorities list',
    spec: { images: GLOBS, authorities: [] },
    errors: [
      'spec.authorities: at least one authority is required (vouch refuses a policy without authorities; policy-controller can be configured to admit it)',
    ],
  },
  {
    name: 'bad mode',
    spec: { images: GLOBS, authorities: [KEY_AUTHORITY], mode: 'audit' },
    errors: ['spec.mode: must be one of "enforce", "warn" (got "audit")'],
  },
  {
    name: 'empty authority',
    spec: withAuthority({}),
    errors: ['spec.authorities[0]: expected exactly one of key, keyless and static, got none'],
  },
  {
    name: 'key and keyless',
    spec: withAuthority({ ...KEY_AUTHORITY, ...keyless() }),
    errors: ['spec.authorities[0]: expected exactly one of key, keyless and static, got key and keyless'],
  },
  {
    name: 'keyless and static',
    spec: withAuthority({ ...keyless(), static: { action: 'pass' } }),
    errors: ['spec.authorities[0]: expected exactly one of key, keyless and static, got keyless and static'],
  },
  {
    name: 'rfc3161timestamp alone',
    spec: withAuthority({ rfc3161timestamp: { trustRootRef: 'tr' } }),
    errors: [
      'spec.authorities[0]: expected exactly one of key, keyless and static: rfc3161timestamp only adds a timestamp requirement to a key or keyless authority (vouch does not accept it alone)',
    ],
  },
  {
    name: 'duplicate authority names',
    spec: {
      images: GLOBS,
      authorities: [
        { name: 'a', ...KEY_AUTHORITY },
        { name: 'a', static: { action: 'pass' } },
      ],
    },
    errors: [
      'spec.authorities[1].name: authority name "a" is already used by spec.authorities[0] (names must be unique: the CEL policy input is keyed by them)',
    ],
  },
  {
    name: 'defaulted name clashing with an explicit one',
    spec: {
      images: GLOBS,
      authorities: [{ name: 'authority-1', ...KEY_AUTHORITY }, { static: { action: 'pass' } }],
    },
    errors: [
      'spec.authorities[1].name: authority name "authority-1" is already used by spec.authorities[0] (names must be unique: the CEL policy input is keyed by them)',
    ],
  },
  // key
  {
    name: 'empty key',
    spec: withAuthority({ key: {} }),
    errors: ['spec.authorities[0].key: expected exactly one of data, kms and secretRef, got none'],
  },
  {
    name: 'key data and kms',
    spec: withAuthority({ key: { data: PUBLIC_KEY, kms: 'hashivault://key/path' } }),
    errors: ['spec.authorities[0].key: expected exactly one of data, kms and secretRef, got data and kms'],
  },
  {
    name: 'kms key',
    spec: withAuthority({ key: { kms: 'awskms:///alias/release' } }),
    errors: [
      'spec.authorities[0].key.kms: kms keys are not supported by vouch; export the public key (cosign public-key --key <kms-uri>) and give it as key.data or key.secretRef',
    ],
  },
  {
    name: 'malformed key data',
    spec: withAuthority({ key: { data: '---some key data----' } }),
    errors: ['spec.authorities[0].key.data: not a PEM public key (no -----BEGIN PUBLIC KEY----- block)'],
  },
  {
    name: 'certificate instead of key',
    spec: withAuthority({ key: { data: CERTIFICATE } }),
    errors: ['spec.authorities[0].key.data: expected a PEM public key, found a "CERTIFICATE" block'],
  },
  {
    name: 'corrupted key',
    spec: withAuthority({ key: { data: PUBLIC_KEY.replace(/\n[^\n]+\n-----END/, '\n-----END') } }), // truncated DER
    errors: [
      expect.stringMatching(
        /^spec\.authorities\[0\]\.key\.data: the PEM public key does not parse: /,
      ) as unknown as string,
    ],
  },
  {
    name: 'bad hash algorithm',
    spec: withAuthority({ key: { data: PUBLIC_KEY, hashAlgorithm: 'md5' } }),
    errors: [
      'spec.authorities[0].key.hashAlgorithm: must be one of "sha224", "sha256", "sha384", "sha512" (got "md5")',
    ],
  },
  {
    name: 'secretRef to a secret nobody supplied',
    spec: withAuthority({ key: { secretRef: { name: 'release-key' } } }),
    errors: [
      'spec.authorities[0].key.secretRef: Secret cosign-system/release-key was not supplied (add its Secret YAML to the policy sources, or a directory release-key/ holding the key file to the secrets directory)',
    ],
  },
  {
    name: 'secretRef outside the controller namespace',
    spec: withAuthority({ key: { secretRef: { name: 'release-key', namespace: 'default' } } }),
    errors: [
      'spec.authorities[0].key.secretRef.namespace: must be empty or "cosign-system" (policy-controller reads key secrets only from its own namespace)',
    ],
  },
  // keyless
  {
    name: 'keyless url and ca-cert',
    spec: withAuthority({
      keyless: {
        url: 'https://fulcio.example',
        'ca-cert': { data: CERTIFICATE },
        identities: [{ issuer: 'i', subject: 's' }],
      },
    }),
    errors: ['spec.authorities[0].keyless: expected exactly one of url and ca-cert, got url and ca-cert'],
  },
  {
    name: 'keyless without identities',
    spec: withAuthority({ keyless: { url: 'https://fulcio.example' } }),
    errors: [
      'spec.authorities[0].keyless.identities: at least one identity (issuer and subject, exact or regular expression) is required',
    ],
  },
  {
    name: 'keyless url not a URL',
    spec: withAuthority({ keyless: { url: 'fulcio', identities: [{ issuer: 'i', subject: 's' }] } }),
    errors: ['spec.authorities[0].keyless.url: "fulcio" is not an absolute URL'],
  },
  {
    name: 'ca-cert that is not a certificate',
    spec: withAuthority({
      keyless: { 'ca-cert': { data: PUBLIC_KEY }, identities: [{ issuer: 'i', subject: 's' }] },
    }),
    errors: ['spec.authorities[0].keyless.ca-cert.data: PEM block 1 is a "PUBLIC KEY", not a CERTIFICATE'],
  },
  {
    name: 'identity with issuer and issuerRegExp',
    spec: identity({ issuer: 'a', issuerRegExp: 'b', subject: 's' }),
    errors: [
      'spec.authorities[0].keyless.identities[0]: expected exactly one of issuer and issuerRegExp, got issuer and issuerRegExp',
    ],
  },
  {
    name: 'identity without subject',
    spec: identity({ issuer: 'a' }),
    errors: [
      'spec.authorities[0].keyless.identities[0]: expected exactly one of subject and subjectRegExp, got none',
    ],
  },
  {
    name: 'identity regexp that does not compile',
    spec: identity({ issuer: 'a', subjectRegExp: '(' }),
    errors: [
      'spec.authorities[0].keyless.identities[0].subjectRegExp: not a valid RE2 regular expression: error parsing regexp: missing closing ): `(`',
    ],
  },
  {
    name: 'identity regexp valid in JavaScript but not in Go RE2',
    spec: identity({ issuerRegExp: '(?=x)', subject: 's' }),
    errors: [
      'spec.authorities[0].keyless.identities[0].issuerRegExp: not a valid RE2 regular expression: error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
    ],
  },
  // static
  {
    name: 'static without action',
    spec: withAuthority({ static: {} }),
    errors: ['spec.authorities[0].static.action: required field is missing'],
  },
  {
    name: 'static with an unknown action',
    spec: withAuthority({ static: { action: 'maybe' } }),
    errors: ['spec.authorities[0].static.action: must be one of "pass", "fail" (got "maybe")'],
  },
  {
    name: 'static with source and ctlog',
    spec: withAuthority({
      static: { action: 'fail' },
      source: [{ oci: 'ghcr.io/org/sigs' }],
      ctlog: { url: 'https://rekor.example' },
    }),
    errors: [
      'spec.authorities[0].source: cannot be combined with static (a static authority checks nothing)',
      'spec.authorities[0].ctlog: cannot be combined with static (a static authority checks nothing)',
    ],
  },
  // source
  {
    name: 'two sources',
    spec: withAuthority({ ...KEY_AUTHORITY, source: [{ oci: 'ghcr.io/org/a' }, { oci: 'ghcr.io/org/b' }] }),
    errors: ['spec.authorities[0].source: at most one source per authority is supported'],
  },
  {
    name: 'source with a wildcard',
    spec: withAuthority({ ...KEY_AUTHORITY, source: [{ oci: 'registry.example.com/repo/*' }] }),
    errors: [
      'spec.authorities[0].source[0].oci: invalid reference "registry.example.com/repo/*": repository path component "*" must be lowercase letters and digits separated by ".", "_", "__" or "-"',
    ],
  },
  {
    name: 'source that is not a host',
    spec: withAuthority({ ...KEY_AUTHORITY, source: [{ oci: 're@gistry/reponame' }] }),
    errors: [
      'spec.authorities[0].source[0].oci: "re@gistry/reponame" is neither a registry host[:port] nor registry/repository',
    ],
  },
  {
    name: 'source with a tag',
    spec: withAuthority({ ...KEY_AUTHORITY, source: [{ oci: 'ghcr.io/org/sigs:v1' }] }),
    errors: [
      'spec.authorities[0].source[0].oci: "ghcr.io/org/sigs:v1" must be a registry or repository, without tag or digest',
    ],
  },
  {
    name: 'pull secret without name',
    spec: withAuthority({ ...KEY_AUTHORITY, source: [{ signaturePullSecrets: [{}] }] }),
    errors: ['spec.authorities[0].source[0].signaturePullSecrets[0].name: required field is missing'],
  },
  {
    name: 'ctlog url not a URL',
    spec: withAuthority({ ...KEY_AUTHORITY, ctlog: { url: 'rekor' } }),
    errors: ['spec.authorities[0].ctlog.url: "rekor" is not an absolute URL'],
  },
  {
    name: 'signatureFormat unknown',
    spec: withAuthority({ ...KEY_AUTHORITY, signatureFormat: 'v3' }),
    errors: ['spec.authorities[0].signatureFormat: must be one of "legacy", "bundle" (got "v3")'],
  },
  {
    name: 'bundle with a different tlog trust root',
    spec: withAuthority({
      ...keyless({ trustRootRef: 'a' }),
      ctlog: { trustRootRef: 'b' },
      signatureFormat: 'bundle',
    }),
    errors: [
      'spec.authorities[0]: with signatureFormat: bundle, ctlog.trustRootRef and rfc3161timestamp.trustRootRef must equal keyless.trustRootRef (a bundle is checked against one trusted root)',
    ],
  },
  // attestations
  {
    name: 'attestation without name and predicate type',
    spec: withAttestation({}),
    errors: [
      'spec.authorities[0].attestations[0].name: required field is missing',
      'spec.authorities[0].attestations[0].predicateType: required field is missing',
    ],
  },
  {
    name: 'duplicate attestation names',
    spec: withAuthority({
      ...KEY_AUTHORITY,
      attestations: [
        { name: 'a', predicateType: 'https://slsa.dev/provenance/v1' },
        { name: 'a', predicateType: 'https://spdx.dev/Document' },
      ],
    }),
    errors: [
      'spec.authorities[0].attestations[1].name: attestation name "a" is already used by attestations[0]',
    ],
  },
  {
    name: 'attestation policy with a CIP-level field',
    spec: withAttestation({
      name: 'a',
      predicateType: 'https://slsa.dev/provenance/v1',
      policy: { type: 'cel', data: 'true', includeSpec: true },
    }),
    errors: [
      'spec.authorities[0].attestations[0].policy.includeSpec: only allowed in spec.policy, not in an attestation policy',
    ],
  },
  // policies
  {
    name: 'cue policy',
    spec: withPolicy({ type: 'cue', data: 'predicateType: "x"' }),
    errors: [
      'spec.policy.type: cue policies are not supported by vouch; write the condition as type: cel (CEL over the same input document)',
    ],
  },
  {
    name: 'rego attestation policy',
    spec: withAttestation({
      name: 'a',
      predicateType: 'https://slsa.dev/provenance/v1',
      policy: { type: 'rego', data: 'package sigstore' },
    }),
    errors: [
      'spec.authorities[0].attestations[0].policy.type: rego policies are not supported by vouch; write the condition as type: cel (CEL over the same input document)',
    ],
  },
  {
    name: 'unknown policy type',
    spec: withPolicy({ type: 'opa', data: 'x' }),
    errors: ['spec.policy.type: must be one of "cel", "cue", "rego" (got "opa")'],
  },
  {
    name: 'policy without body',
    spec: withPolicy({ type: 'cel' }),
    errors: ['spec.policy: expected exactly one of data, remote and configMapRef, got none'],
  },
  {
    name: 'policy with data and configMapRef',
    spec: withPolicy({ type: 'cel', data: 'true', configMapRef: { name: 'c', key: 'k' } }),
    errors: ['spec.policy: expected exactly one of data, remote and configMapRef, got data and configMapRef'],
  },
  {
    name: 'CEL syntax error',
    spec: withPolicy({ type: 'cel', data: '1 +' }),
    errors: ['spec.policy.data: CEL syntax error: 1:3: found + but expecting end of input'],
  },
  {
    name: 'remote policy over http and without checksum',
    spec: withPolicy({ type: 'cel', remote: { url: 'http://policies.example/p.cel' } }),
    errors: [
      'spec.policy.remote.url: must be an https URL (got http)',
      'spec.policy.remote.sha256sum: required field is missing: a remote policy must name the sha256 of its body',
    ],
  },
  {
    name: 'remote policy with a malformed checksum',
    spec: withPolicy({ type: 'cel', remote: { url: 'https://policies.example/p.cel', sha256sum: 'abc' } }),
    errors: ['spec.policy.remote.sha256sum: must be the 64-character hex sha256 of the body'],
  },
  {
    name: 'configMapRef without key',
    spec: withPolicy({ type: 'cel', configMapRef: { name: 'c' } }),
    errors: ['spec.policy.configMapRef.key: required field is missing'],
  },
  {
    name: 'configMapRef to a ConfigMap nobody supplied',
    spec: withPolicy({ type: 'cel', configMapRef: { name: 'c', key: 'policy' } }),
    errors: [
      'spec.policy.configMapRef: ConfigMap cosign-system/c was not supplied (add its YAML to the policy sources)',
    ],
  },
  // match
  {
    name: 'selector without a resource',
    spec: {
      images: GLOBS,
      authorities: [KEY_AUTHORITY],
      match: [{ selector: { matchLabels: { app: 'x' } } }],
    },
    errors: [
      'spec.match[0].selector: a selector needs a resource type (resource, version, group) to match labels of',
    ],
  },
  {
    // A singular or capitalised resource would make the policy apply to nothing (issue 15 item 3).
    name: 'resource policy-controller does not accept',
    spec: {
      images: GLOBS,
      authorities: [KEY_AUTHORITY],
      match: [
        { group: 'apps', version: 'v1', resource: 'deployment' },
        { version: 'v1', resource: 'Pods' },
      ],
    },
    errors: [
      'spec.match[0].resource: unsupported resource "deployment": must be one of pods, replicationcontrollers, deployments, replicasets, statefulsets, daemonsets, jobs, cronjobs',
      'spec.match[1].resource: unsupported resource "Pods": must be one of pods, replicationcontrollers, deployments, replicasets, statefulsets, daemonsets, jobs, cronjobs',
    ],
  },
  {
    name: 'In without values',
    spec: {
      images: GLOBS,
      authorities: [KEY_AUTHORITY],
      match: [
        { resource: 'pods', version: 'v1', selector: { matchExpressions: [{ key: 'app', operator: 'In' }] } },
      ],
    },
    errors: ['spec.match[0].selector.matchExpressions[0].values: operator In needs at least one value'],
  },
  {
    name: 'unknown selector operator',
    spec: {
      images: GLOBS,
      authorities: [KEY_AUTHORITY],
      match: [{ resource: 'pods', selector: { matchExpressions: [{ key: 'app', operator: 'Like' }] } }],
    },
    errors: [
      'spec.match[0].selector.matchExpressions[0].operator: must be one of "In", "NotIn", "Exists", "DoesNotExist" (got the string "Like")',
    ],
  },
  {
    name: 'trustRootRef to a TrustRoot nobody supplied',
    spec: withAuthority(keyless({ trustRootRef: 'corp' })),
    errors: [
      'spec.authorities[0].keyless.trustRootRef: TrustRoot "corp" was not supplied (add its YAML to the policy sources)',
    ],
  },
];

describe('ClusterImagePolicy: invalid documents', () => {
  it.each(INVALID)('$name', async ({ spec, errors }) => {
    expect(await specErrors(spec)).toEqual(errors);
  });

  it('reports every policy of a file, each with its own location', async () => {
    const errors = await loadErrors(
      yamlDocuments(
        cip('first', { images: GLOBS }),
        cip(
          'second',
          withAuthority({ key: { kms: 'gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k' } }),
        ),
      ),
    );
    expect(errors).toEqual([
      'test.yaml: document 1 (ClusterImagePolicy "first"): spec.authorities: at least one authority is required (vouch refuses a policy without authorities; policy-controller can be configured to admit it)',
      'test.yaml: document 2 (ClusterImagePolicy "second"): spec.authorities[0].key.kms: kms keys are not supported by vouch; export the public key (cosign public-key --key <kms-uri>) and give it as key.data or key.secretRef',
    ]);
  });

  it('requires metadata.name', async () => {
    expect(
      await loadErrors(
        yamlDocuments({
          apiVersion: 'policy.sigstore.dev/v1beta1',
          kind: 'ClusterImagePolicy',
          metadata: {},
          spec: withAuthority(KEY_AUTHORITY),
        }),
      ),
    ).toEqual(['test.yaml: document 1 (ClusterImagePolicy): metadata.name: required field is missing']);
  });

  it('refuses an unknown apiVersion and a misspelt kind', async () => {
    expect(
      await loadErrors(yamlDocuments(cip('p', withAuthority(KEY_AUTHORITY), 'policy.sigstore.dev/v1'))),
    ).toEqual([
      'test.yaml: document 1 (ClusterImagePolicy "p"): unsupported apiVersion "policy.sigstore.dev/v1" for ClusterImagePolicy (use policy.sigstore.dev/v1beta1 or policy.sigstore.dev/v1alpha1)',
    ]);
    expect(
      await loadErrors(
        yamlDocuments(cip('p', withAuthority(KEY_AUTHORITY), 'cosigned.sigstore.dev/v1alpha1')),
      ),
    ).toEqual([
      'test.yaml: document 1 (ClusterImagePolicy "p"): unsupported apiVersion "cosigned.sigstore.dev/v1alpha1" for ClusterImagePolicy (use policy.sigstore.dev/v1beta1 or policy.sigstore.dev/v1alpha1)',
    ]);
    expect(
      await loadErrors(
        yamlDocuments({ ...cip('p', withAuthority(KEY_AUTHORITY)), kind: 'ClusterImagePolicies' }),
      ),
    ).toEqual([
      'test.yaml: document 1 (ClusterImagePolicies "p"): unknown kind "ClusterImagePolicies" in policy.sigstore.dev (vouch reads ClusterImagePolicy and TrustRoot)',
    ]);
    expect(
      await loadErrors(
        yamlDocuments({
          ...cip('p', withAuthority(KEY_AUTHORITY)),
          apiVersion: 'example.com/v1',
          kind: 'ImagePolicy',
        }),
      ),
    ).toEqual([
      'test.yaml: document 1 (ImagePolicy "p"): example.com/v1 ImagePolicy looks like a policy but is not one vouch reads (ClusterImagePolicy policy.sigstore.dev/v1beta1, policy.sigstore.dev/v1alpha1; TrustRoot policy.sigstore.dev/v1alpha1)',
    ]);
  });

  it('refuses documents that are not objects or miss apiVersion or kind', async () => {
    expect(await loadErrors('- a\n- b\n')).toEqual([
      'test.yaml: document 1: a document must be a mapping (a Kubernetes object)',
    ]);
    expect(
      await loadErrors(yamlDocuments({ kind: 'ClusterImagePolicy', metadata: { name: 'p' }, spec: {} })),
    ).toEqual(['test.yaml: document 1 (ClusterImagePolicy "p"): apiVersion is missing']);
    // A value of the wrong type is named as such, not reported as missing (issue 15).
    expect(
      await loadErrors(yamlDocuments({ ...cip('p', withAuthority(KEY_AUTHORITY)), apiVersion: 5 })),
    ).toEqual(['test.yaml: document 1 (ClusterImagePolicy "p"): apiVersion must be a string (got number 5)']);
    expect(
      await loadErrors(
        yamlDocuments({ ...cip('p', withAuthority(KEY_AUTHORITY)), kind: ['ClusterImagePolicy'] }),
      ),
    ).toEqual(['test.yaml: document 1: kind must be a string (got a list)']);
    expect(
      await loadErrors(yamlDocuments({ metadata: { name: 'p' }, spec: withAuthority(KEY_AUTHORITY) })),
    ).toEqual([
      'test.yaml: document 1: not a Kubernetes object (no apiVersion and kind) nor a verification config (no-match-policy, policies)',
    ]);
  });

  it('reports YAML errors with their line, and duplicate keys', async () => {
    expect(await loadErrors('apiVersion: policy.sigstore.dev/v1beta1\nkind: [ClusterImagePolicy\n')).toEqual([
      expect.stringMatching(/^test\.yaml: document 1: line \d+, column \d+: /),
    ]);
    expect(await loadErrors('apiVersion: v1\napiVersion: v1\nkind: Secret\n')).toEqual([
      'test.yaml: document 1: line 2, column 1: Map keys must be unique',
    ]);
  });

  it('refuses two policies with the same name', async () => {
    expect(
      await loadErrors(
        yamlDocuments(
          cip('p', withAuthority(KEY_AUTHORITY)),
          cip('p', withAuthority({ static: { action: 'pass' } })),
        ),
      ),
    ).toEqual([
      'test.yaml: document 2 (ClusterImagePolicy "p"): metadata.name: ClusterImagePolicy "p" is also defined at test.yaml: document 1 (ClusterImagePolicy "p"); names must be unique (policy-controller would skip one of them with a warning, vouch refuses so that no policy is dropped silently)',
    ]);
  });

  it('says when nothing to enforce was found', async () => {
    expect(await loadErrors('')).toEqual(['test.yaml: no ClusterImagePolicy found']);
  });
});

describe('ClusterImagePolicy: valid documents', () => {
  it('compiles every field, with policy-controller defaults', async () => {
    const { policySet, warnings } = await load(
      yamlDocuments(
        cip('everything', {
          images: [{ glob: 'ghcr.io/org/**' }, { glob: '*' }],
          mode: 'warn',
          match: [
            {
              group: 'apps',
              version: '*',
              resource: 'deployments',
              selector: { matchLabels: { tier: 'web' } },
            },
          ],
          authorities: [
            {
              name: 'release-key',
              key: { data: PUBLIC_KEY, hashAlgorithm: 'SHA512' },
              source: [
                {
                  oci: 'ghcr.io/org/signatures',
                  tagPrefix: 'v2-',
                  signaturePullSecrets: [{ name: 'sigs-pull' }],
                },
              ],
              ctlog: { url: 'https://rekor.sigstore.dev' },
            },
            {
              ...keyless({ trustRootRef: 'corp', insecureIgnoreSCT: true }),
              rfc3161timestamp: { trustRootRef: 'corp' },
              attestations: [
                {
                  name: 'provenance',
                  predicateType: 'slsaprovenance',
                  policy: { type: 'cel', data: 'predicate.builder.id != ""' },
                },
                { name: 'sbom', predicateType: 'https://spdx.dev/Document' },
              ],
              signatureFormat: 'bundle',
            },
            { static: { action: 'fail', message: 'not this one' } },
          ],
          policy: { type: 'cel', data: 'has(authorityMatches.release_key)', includeSpec: true },
        }),
        {
          apiVersion: 'policy.sigstore.dev/v1alpha1',
          kind: 'TrustRoot',
          metadata: { name: 'corp' },
          spec: {
            trustedRootJSON: '{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}',
          },
        },
      ),
    );
    const [policy] = policySet.policies;
    expect(policySet.noMatchPolicy).toBe('deny');
    expect(policy).toMatchObject({
      name: 'everything',
      apiVersion: 'policy.sigstore.dev/v1beta1',
      mode: 'warn',
      images: [
        { glob: 'ghcr.io/org/**', pattern: 'ghcr.io/org/**' },
        { glob: '*', pattern: 'index.docker.io/library/*' },
      ],
      match: [
        {
          group: 'apps',
          version: '*',
          resource: 'deployments',
          selector: { matchLabels: { tier: 'web' }, matchExpressions: [] },
        },
      ],
      policy: {
        type: 'cel',
        expression: 'has(authorityMatches.release_key)',
        includeSpec: true,
        includeObjectMeta: false,
        fetchConfigFile: false,
      },
      dependsOnResource: true,
      origin: 'test.yaml: document 1 (ClusterImagePolicy "everything")',
    });
    expect(policy?.authorities).toEqual([
      {
        type: 'key',
        name: 'release-key',
        key: { pem: PUBLIC_KEY, from: { type: 'inline' } },
        hashAlgorithm: 'sha512',
        source: {
          oci: { registry: 'ghcr.io', repository: 'org/signatures' },
          tagPrefix: 'v2-',
          pullSecrets: ['sigs-pull'],
        },
        tlog: { url: 'https://rekor.sigstore.dev' },
        attestations: [],
      },
      {
        type: 'keyless',
        name: 'authority-1',
        url: DEFAULT_FULCIO_URL,
        identities: [
          {
            issuer: 'https://token.actions.githubusercontent.com',
            subject: 'https://github.com/org/repo/.github/workflows/release.yaml@refs/heads/main',
          },
        ],
        trustRootRef: 'corp',
        insecureIgnoreSCT: true,
        timestamp: { trustRootRef: 'corp' },
        attestations: [
          {
            name: 'provenance',
            predicateType: 'https://slsa.dev/provenance/v0.2',
            predicateTypeShortName: 'slsaprovenance',
            policy: { type: 'cel', expression: 'predicate.builder.id != ""', from: 'inline' },
          },
          { name: 'sbom', predicateType: 'https://spdx.dev/Document' },
        ],
        signatureFormat: 'bundle',
      },
      { type: 'static', name: 'authority-2', action: 'fail', message: 'not this one' },
    ]);
    expect(warnings.map((w) => `${w.path}: ${w.message}`)).toEqual([
      'spec.authorities[0].source[0].signaturePullSecrets[0]: pull secret "sigs-pull" was not supplied; signatures will be read with vouch\'s own registry credentials',
      'spec.authorities[1].attestations[0].predicateType: short name "slsaprovenance" is deprecated; write the predicate type URI "https://slsa.dev/provenance/v0.2"',
    ]);
  });

  it('reads v1alpha1 and v1beta1 alike (same fingerprint)', async () => {
    const spec = withAuthority(KEY_AUTHORITY);
    const alpha = await load(yamlDocuments(cip('p', spec, 'policy.sigstore.dev/v1alpha1')));
    const beta = await load(yamlDocuments(cip('p', spec)));
    expect(alpha.policySet.policies[0]?.apiVersion).toBe('policy.sigstore.dev/v1alpha1');
    expect(alpha.policySet.policies[0]?.fingerprint).toBe(beta.policySet.policies[0]?.fingerprint);
  });

  it('treats empty strings and nulls as unset, as Go does', async () => {
    const { policySet } = await load(
      'apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata: {name: p}\nspec:\n  mode: ""\n  images: [{glob: "ghcr.io/**"}]\n  policy:\n  authorities:\n  - name: ""\n    static: {action: pass, message: }\n',
    );
    expect(policySet.policies[0]).toMatchObject({
      mode: 'enforce',
      authorities: [{ type: 'static', name: 'authority-0', action: 'pass' }],
    });
    expect(policySet.policies[0]?.policy).toBeUndefined();
  });

  it('accepts objects exported from a cluster (status, server-set metadata)', async () => {
    const exported = {
      ...cip('p', withAuthority({ static: { action: 'pass' } })),
      metadata: {
        name: 'p',
        uid: '0a1b',
        resourceVersion: '42',
        generation: 3,
        creationTimestamp: '2024-05-01T10:00:00Z',
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
        managedFields: [{ manager: 'kubectl' }],
        finalizers: ['policy.sigstore.dev'],
      },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    };
    const { policySet } = await load(yamlDocuments(exported));
    expect(policySet.policies.map((p) => p.name)).toEqual(['p']);
  });

  it('accepts a predicate type that is neither a URI nor a short name, with a warning, as policy-controller does', async () => {
    const { policySet, warnings } = await load(
      yamlDocuments(cip('p', withAttestation({ name: 'a', predicateType: 'sbom please' }))),
    );
    expect(policySet.policies[0]?.authorities[0]).toMatchObject({
      attestations: [{ name: 'a', predicateType: 'sbom please' }],
    });
    expect(policySet.policies[0]?.authorities[0]).not.toHaveProperty('attestations.0.predicateTypeShortName');
    expect(warnings.map(formatIssue)).toEqual([
      'test.yaml: document 1 (ClusterImagePolicy "p"): spec.authorities[0].attestations[0].predicateType: "sbom please" is neither a URI nor one of the short names custom, slsaprovenance, spdx, spdxjson, cyclonedx, link, vuln; it is matched exactly as written (policy-controller and cosign accept it too, but a URI is less error-prone)',
    ]);
  });

  it('warns about globs that can never match', async () => {
    const { warnings } = await load(
      yamlDocuments(
        cip('p', { images: [{ glob: 'alpine' }, { glob: 'ghcr.io/org/app' }], authorities: [KEY_AUTHORITY] }),
      ),
    );
    expect(warnings.map((w) => w.path)).toEqual(['spec.images[0].glob', 'spec.images[1].glob']);
  });
});
