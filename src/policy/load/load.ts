/**
 * Loads a policy set from files, directories, verification configs and inline text: reads every
 * document, validates all of them (collecting every problem with its location), resolves Secrets,
 * ConfigMaps, remote policies and TrustRoot references, and returns the compiled `PolicySet`.
 *
 * Decisions where policy-controller leaves a choice:
 * - Duplicate names (two ClusterImagePolicies, TrustRoots, Secrets or ConfigMaps with the same name):
 *   an error naming both places. policy-controller's library keeps the first and skips the rest with a
 *   warning; vouch refuses, because a silently skipped policy may be the one that was meant to block.
 * - Secrets and ConfigMaps come from `Secret` / `ConfigMap` documents among the sources, or from a
 *   secrets directory (`DIR/<name>/<key>`, as Kubernetes mounts a Secret); a reference to one that was
 *   not supplied is an error.
 * - Documents of other kinds are ignored only when they are clearly other Kubernetes objects (see
 *   `classify`); each ignored document is reported.
 */
import { resolve } from 'node:path';
import type { z } from 'zod';
import { describeError } from '../../errors.js';
import { compileClusterImagePolicy } from '../compile/cluster-image-policy.js';
import { Reporter } from '../compile/reporter.js';
import { compileTrustRoot } from '../compile/trust-root.js';
import {
  formatLocation,
  type LocatedMessage,
  type Location,
  PolicyError,
  type PolicyIssue,
} from '../errors.js';
import { referencedTrustRoots, trustRootRefs } from '../fingerprint.js';
import type { CompiledPolicy, CompiledTrustRoot, NoMatchPolicy, PolicySet, PullSecret } from '../model.js';
import { type ClusterImagePolicyInput, clusterImagePolicySchema } from '../schema/cluster-image-policy.js';
import { schemaIssues } from '../schema/common.js';
import { configMapSchema, secretSchema } from '../schema/kubernetes.js';
import { type TrustRootInput, trustRootSchema } from '../schema/trust-root.js';
import { verificationConfigSchema } from '../schema/verification.js';
import { type Classified, classify } from './classify.js';
import { CONTROLLER_NAMESPACE, decodeBase64, readSecretsDirectory, SuppliedObjects } from './references.js';
import { type FetchOptions, fetchChecked, remoteUrlError, sha256sumError } from './remote.js';
import { parseDocuments, type RawDocument, readSources } from './sources.js';

export interface LoadOptions {
  /** A directory of Secrets laid out as Kubernetes mounts them: `DIR/<secret-name>/<key>`. */
  secretsDirectory?: string;
  /** How remote policies (`policy.remote`, verification-config `url`) are fetched. */
  fetch?: FetchOptions;
  /** Overrides the no-match-policy of every verification config (the CLI's `--no-match-policy`). */
  noMatchPolicy?: NoMatchPolicy;
}

export interface IgnoredDocument {
  location: Location;
  reason: string;
}

export interface LoadedPolicies {
  policySet: PolicySet;
  warnings: LocatedMessage[];
  ignored: IgnoredDocument[];
  /** Files read, in order. */
  files: string[];
}

const NO_MATCH_POLICIES: readonly NoMatchPolicy[] = ['allow', 'warn', 'deny'];

/** Loads policies from paths (files or directories; verification configs among them are followed). */
export async function loadPolicies(
  paths: readonly string[],
  options: LoadOptions = {},
): Promise<LoadedPolicies> {
  const seen = new Set<string>();
  const read = await readSources(paths, seen);
  const state = new LoadState(options, seen);
  state.issues.push(...read.issues);
  state.files.push(...read.files);
  return state.finish(read.documents, paths.length === 0 ? '(no policy paths given)' : paths.join(', '));
}

/** Loads policies from YAML text (a ConfigMap entry, a test, stdin). `source` names it in messages. */
export async function loadPolicyText(
  text: string,
  source: string,
  options: LoadOptions = {},
): Promise<LoadedPolicies> {
  const state = new LoadState(options, new Set());
  const parsed = parseDocuments(text, source);
  state.issues.push(...parsed.issues);
  return state.finish(parsed.documents, source);
}

class LoadState {
  readonly issues: PolicyIssue[] = [];
  readonly warnings: LocatedMessage[] = [];
  readonly ignored: IgnoredDocument[] = [];
  readonly files: string[] = [];
  private readonly noMatchChoices: { value: NoMatchPolicy; location: Location }[] = [];
  private sawConfig = false;

  constructor(
    private readonly options: LoadOptions,
    private readonly seen: Set<string>,
  ) {}

  /** `nothing` names what was read, for the error when it held no policy at all. */
  async finish(documents: RawDocument[], nothing: string): Promise<LoadedPolicies> {
    const resources: Extract<Classified, { type: 'resource' }>[] = [];
    for (const document of documents)
      for (const item of classify(document, { allowConfig: true })) await this.take(item, resources);

    const secrets = new SuppliedObjects('Secret');
    const configMaps = new SuppliedObjects('ConfigMap');
    if (this.options.secretsDirectory !== undefined) {
      const fromDirectory = await readSecretsDirectory(this.options.secretsDirectory);
      this.issues.push(...fromDirectory.issues);
      for (const secret of fromDirectory.secrets) this.supply(secrets, secret);
    }

    const trustRootInputs: { input: TrustRootInput; reporter: Reporter; origin: string }[] = [];
    const policyInputs: { input: ClusterImagePolicyInput; reporter: Reporter; origin: string }[] = [];
    for (const resource of resources) {
      const reporter = new Reporter(resource.location, this.issues, this.warnings);
      const origin = formatLocation(resource.location);
      switch (resource.kind) {
        case 'Secret': {
          const secret = this.parse(secretSchema, resource.value, reporter);
          if (!secret) break;
          const data: Record<string, string> = {};
          for (const [key, value] of Object.entries(secret.data ?? {})) {
            const bytes = decodeBase64(value);
            if (bytes === undefined) reporter.error('INVALID', `data.${key}`, 'must be base64');
            else data[key] = bytes.toString('utf8');
          }
          Object.assign(data, secret.stringData ?? {});
          this.supply(secrets, {
            namespace: secret.metadata.namespace ?? CONTROLLER_NAMESPACE,
            name: secret.metadata.name,
            data,
            ...(secret.type !== undefined && { type: secret.type }),
            from: origin,
            location: resource.location,
          });
          break;
        }
        case 'ConfigMap': {
          const configMap = this.parse(configMapSchema, resource.value, reporter);
          if (!configMap) break;
          this.supply(configMaps, {
            namespace: configMap.metadata.namespace ?? CONTROLLER_NAMESPACE,
            name: configMap.metadata.name,
            data: configMap.data ?? {},
            from: origin,
            location: resource.location,
          });
          break;
        }
        case 'TrustRoot': {
          const input = this.parse(trustRootSchema, resource.value, reporter);
          if (input) trustRootInputs.push({ input, reporter, origin });
          break;
        }
        case 'ClusterImagePolicy': {
          const input = this.parse(clusterImagePolicySchema, resource.value, reporter);
          if (input) policyInputs.push({ input, reporter, origin });
          break;
        }
      }
    }

    // Every TrustRoot document counts as supplied for trustRootRef checks, even one with errors of its
    // own (those are reported on it, not again on every reference).
    const trustRootNames = new Set(trustRootInputs.map(({ input }) => input.metadata.name));
    const trustRoots: Record<string, CompiledTrustRoot> = {};
    const trustRootOrigins = new Map<string, string>();
    const trustRootLocations = new Map<string, Location>();
    for (const { input, reporter, origin } of trustRootInputs) {
      const previous = trustRootOrigins.get(input.metadata.name);
      if (previous !== undefined) {
        reporter.error(
          'DUPLICATE',
          'metadata.name',
          `TrustRoot ${JSON.stringify(input.metadata.name)} is also defined at ${previous}; names must be unique`,
        );
        continue;
      }
      trustRootOrigins.set(input.metadata.name, origin);
      trustRootLocations.set(input.metadata.name, reporter.location);
      const compiled = compileTrustRoot(input, reporter, origin);
      if (compiled) trustRoots[compiled.name] = compiled;
    }

    const policies: CompiledPolicy[] = [];
    const pullSecrets = new Map<string, PullSecret>();
    const policyOrigins = new Map<string, string>();
    const fetch = this.options.fetch ?? {};
    for (const { input, reporter, origin } of policyInputs) {
      const previous = policyOrigins.get(input.metadata.name);
      if (previous !== undefined) {
        reporter.error(
          'DUPLICATE',
          'metadata.name',
          `ClusterImagePolicy ${JSON.stringify(input.metadata.name)} is also defined at ${previous}; names must be unique (policy-controller would skip one of them with a warning, vouch refuses so that no policy is dropped silently)`,
        );
        continue;
      }
      policyOrigins.set(input.metadata.name, origin);
      const compiled = await compileClusterImagePolicy(
        input,
        reporter,
        { secrets, configMaps, fetch, pullSecrets },
        origin,
      );
      if (!compiled) continue;
      for (const [i, authority] of compiled.authorities.entries()) {
        for (const [field, ref] of trustRootRefs(authority))
          if (!trustRootNames.has(ref))
            reporter.error(
              'MISSING_REFERENCE',
              `spec.authorities[${i}].${field}`,
              `TrustRoot ${JSON.stringify(ref)} was not supplied (add its YAML to the policy sources)`,
            );
      }
      if (!reporter.failed) policies.push(compiled);
    }

    const noMatchPolicy = this.noMatchPolicy();
    if (this.issues.length === 0 && policyInputs.length === 0 && !this.sawConfig)
      this.issues.push({ code: 'NO_POLICIES', source: nothing, message: 'no ClusterImagePolicy found' });
    if (this.issues.length > 0) throw PolicyError.fromIssues(this.issues, { warnings: this.warnings });

    policies.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const used = new Set(referencedTrustRoots(policies));
    for (const name of Object.keys(trustRoots))
      if (!used.has(name))
        this.warnings.push({
          ...(trustRootLocations.get(name) ?? { source: trustRoots[name]!.origin }),
          message: `TrustRoot ${JSON.stringify(name)} is not referred to by any policy`,
        });
    return {
      policySet: {
        noMatchPolicy,
        ...((this.options.noMatchPolicy !== undefined || this.noMatchChoices.length > 0) && {
          noMatchPolicyConfigured: true,
        }),
        policies,
        trustRoots,
        pullSecrets: Object.fromEntries(pullSecrets),
      },
      warnings: this.warnings,
      ignored: this.ignored,
      files: this.files,
    };
  }

  private parse<T extends z.ZodType>(schema: T, value: unknown, reporter: Reporter): z.infer<T> | undefined {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    for (const issue of schemaIssues(result.error, value))
      reporter.error('INVALID', issue.path, issue.message);
    return undefined;
  }

  private supply(store: SuppliedObjects, object: Parameters<SuppliedObjects['add']>[0]): void {
    const existing = store.add(object);
    if (existing)
      this.issues.push({
        ...object.location,
        code: 'DUPLICATE',
        message: `${store.kind} ${object.namespace}/${object.name} is also supplied by ${existing.from}; names must be unique`,
      });
  }

  private noMatchPolicy(): NoMatchPolicy {
    if (this.options.noMatchPolicy !== undefined) return this.options.noMatchPolicy;
    const values = new Set(this.noMatchChoices.map((choice) => choice.value));
    if (values.size > 1) {
      for (const choice of this.noMatchChoices)
        this.issues.push({
          ...choice.location,
          path: 'no-match-policy',
          code: 'INVALID',
          message: `verification configs disagree on no-match-policy (${[...values].join(', ')}); give one, or override it`,
        });
      return 'deny';
    }
    return this.noMatchChoices[0]?.value ?? 'deny';
  }

  private async take(
    item: Classified,
    resources: Extract<Classified, { type: 'resource' }>[],
  ): Promise<void> {
    switch (item.type) {
      case 'resource':
        resources.push(item);
        return;
      case 'ignored':
        this.ignored.push({ location: item.location, reason: item.reason });
        return;
      case 'error':
        this.issues.push({ ...item.location, code: 'INVALID', message: item.message });
        return;
      case 'config':
        this.sawConfig = true;
        for (const document of await this.expandConfig(item))
          for (const nested of classify(document, { allowConfig: false })) await this.take(nested, resources);
        return;
    }
  }

  /** A verification config: its no-match-policy, and the documents of every source it lists. */
  private async expandConfig(item: Extract<Classified, { type: 'config' }>): Promise<RawDocument[]> {
    const reporter = new Reporter(item.location, this.issues, this.warnings);
    const config = this.parse(verificationConfigSchema, item.value, reporter);
    if (!config) return [];
    const noMatch = config['no-match-policy'];
    if (noMatch !== undefined) {
      if ((NO_MATCH_POLICIES as readonly string[]).includes(noMatch))
        this.noMatchChoices.push({ value: noMatch as NoMatchPolicy, location: item.location });
      else
        reporter.error(
          'INVALID',
          'no-match-policy',
          `must be one of "allow", "warn", "deny" (got ${JSON.stringify(noMatch)})`,
        );
    }
    if (config.policies === undefined) {
      reporter.error('INVALID', 'policies', 'required field is missing (an empty list is allowed)');
      return [];
    }
    const documents: RawDocument[] = [];
    const directory = item.raw.directory ?? '.';
    for (const [i, source] of config.policies.entries()) {
      const path = `policies[${i}]`;
      const set = (['data', 'path', 'url'] as const).filter((field) => source[field] !== undefined);
      if (set.length !== 1) {
        reporter.error(
          'INVALID',
          path,
          set.length === 0
            ? 'expected exactly one of data, path and url, got none'
            : `expected exactly one of data, path and url, got ${set.join(' and ')}`,
        );
        continue;
      }
      if (source.sha256sum !== undefined && source.url === undefined) {
        reporter.error('INVALID', `${path}.sha256sum`, 'only applies to url');
        continue;
      }
      if (source.data !== undefined) {
        const parsed = parseDocuments(source.data, `${item.location.source}: ${path}.data`, directory);
        this.issues.push(...parsed.issues);
        documents.push(...parsed.documents);
      } else if (source.path !== undefined) {
        const read = await readSources([resolve(directory, source.path)], this.seen);
        this.issues.push(
          ...read.issues.map((issue) => ({
            ...issue,
            message: `${issue.message} (${path}.path of ${item.location.source})`,
          })),
        );
        this.files.push(...read.files);
        documents.push(...read.documents);
      } else if (source.url !== undefined) {
        const urlProblem = remoteUrlError(source.url);
        if (urlProblem) {
          reporter.error('INVALID', `${path}.url`, urlProblem);
          continue;
        }
        if (source.sha256sum === undefined) {
          reporter.error(
            'INVALID',
            `${path}.sha256sum`,
            'required with url: a policy fetched over the network must name the sha256 of its body',
          );
          continue;
        }
        const sumProblem = sha256sumError(source.sha256sum);
        if (sumProblem) {
          reporter.error('INVALID', `${path}.sha256sum`, sumProblem);
          continue;
        }
        try {
          const text = await fetchChecked(source.url, source.sha256sum, this.options.fetch);
          const parsed = parseDocuments(text, source.url, directory);
          this.issues.push(...parsed.issues);
          documents.push(...parsed.documents);
        } catch (error) {
          if (error instanceof PolicyError) reporter.error(error.code, `${path}.url`, error.message);
          else reporter.error('FETCH', `${path}.url`, describeError(error));
        }
      }
    }
    return documents;
  }
}
