import { stringify } from 'yaml';
import {
  type AuditResult,
  auditWorkloads,
  buildPolicyReports,
  formatAuditTable,
  type ManifestObject,
  parseManifests,
  readManifestSources,
  workloadsOf,
} from '../../gates/admission/audit.js';
import { AdmissionError } from '../../gates/admission/errors.js';
import { AdmissionGate } from '../../gates/admission/gate.js';
import { RegistryTrouble } from '../../registry/index.js';
import { checkCache, type EnforcementFlags, enforcementFrom, policyPaths } from '../admission-options.js';
import { createChecker, policyLoadError } from '../engine-factory.js';
import { CliError, ExitCode } from '../errors.js';
import { type GlobalOptions, timeoutMs } from '../global-options.js';
import { type OutputFormat, printJson, printLines, write } from '../output.js';

export interface AuditOptions extends GlobalOptions, EnforcementFlags {
  policy?: string[];
  report: boolean;
  output: OutputFormat;
  namespace: string;
  cache: string;
  cacheHmacKeyFile?: string;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads and parses every manifest up front, so that bad input fails before any registry work. */
export async function loadManifests(paths: readonly string[]): Promise<ManifestObject[]> {
  try {
    const sources = await readManifestSources(paths, readStdin);
    return sources.flatMap((source) => parseManifests(source));
  } catch (error) {
    if (error instanceof AdmissionError) throw new CliError('INPUT', error.message, { cause: error });
    throw error;
  }
}

/** `vouch audit PATH...`: exit 0 when every image is allowed, 1 when any is denied, 2 on bad input. */
export async function runAudit(paths: string[], options: AuditOptions): Promise<ExitCode> {
  const policies = policyPaths(options.policy);
  const budgetMs = timeoutMs(options);
  const cache = checkCache(options.cache);
  const enforcement = enforcementFrom(options, []);

  const objects = await loadManifests(paths);
  let workloads: ReturnType<typeof workloadsOf>['workloads'];
  try {
    workloads = workloadsOf(objects, options.namespace).workloads;
  } catch (error) {
    if (error instanceof AdmissionError) throw new CliError('INPUT', error.message, { cause: error });
    throw error;
  }

  const problems = new RegistryTrouble();
  const factory = await createChecker({
    cache: {
      cache,
      ...(options.cacheHmacKeyFile !== undefined && { cacheHmacKeyFile: options.cacheHmacKeyFile }),
    },
    global: options,
    trouble: problems,
  });
  try {
    let loaded: Awaited<ReturnType<typeof factory.load>>;
    try {
      loaded = await factory.load(policies);
    } catch (error) {
      throw policyLoadError(error);
    }
    const gate = new AdmissionGate({ budgetMs, digestMutation: 'none', enforcement }, () => loaded, problems);
    const checked = workloads.filter((workload) => !gate.rules.isExcluded(workload.namespace));
    const results = await auditWorkloads(gate, checked);
    await printResults(results, options);
    return results.every((result) => result.allowed) ? ExitCode.OK : ExitCode.NOT_VERIFIED;
  } finally {
    await factory.close();
  }
}

async function printResults(results: readonly AuditResult[], options: AuditOptions): Promise<void> {
  const tableStream = options.report ? process.stderr : process.stdout;
  if (options.output === 'json' && !options.report) {
    await printJson(
      results.flatMap(({ workload, images }) =>
        images.map((image) => ({
          namespace: workload.namespace,
          kind: workload.kind.kind,
          name: workload.name,
          image: image.image,
          result: image.result,
          ...(image.verdict.digest !== undefined && { digest: image.verdict.digest }),
          errors: image.decision.denials,
          warnings: image.decision.warnings,
        })),
      ),
    );
  } else if (results.length === 0) {
    await write(process.stderr, 'vouch: no workloads found\n');
  } else {
    await printLines(formatAuditTable(results), tableStream);
  }
  if (options.report) {
    const reports = buildPolicyReports(results, new Date());
    await write(process.stdout, reports.map((report) => stringify(report)).join('---\n'));
  }
}
