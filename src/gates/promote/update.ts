/**
 * One round of the promotion gate: load the Flux objects, find the setter markers, elect for each
 * marked ImagePolicy the newest tag that verifies and can be pulled, write `name:tag@<verified
 * digest>` into the marked values only, and commit (and push) — or, dry, print the diff.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { describeError } from '../../errors.js';
import type { ImageChecker } from '../../policy/verdict.js';
import { canonicalLocation, parseReference } from '../../reference/index.js';
import { type RegistryClient, RegistryError } from '../../registry/index.js';
import { Deadline } from '../../util/deadline.js';
import { PromoteError } from './errors.js';
import { collectYamlFiles, formatLocation } from './files.js';
import { type ImagePolicyObject, type ImageRepositoryObject, loadFluxObjects } from './flux/load.js';
import type { Author, GitRepository } from './git.js';
import { findMarkers, type Marker, markedName, pinnedBy, valueFor } from './markers.js';
import type { MessageChange, MessageTemplate } from './message.js';
import { applyEdits, type ValueEdit } from './rewrite.js';
import type { PullSecret } from './secrets.js';
import { type ChosenCandidate, type RejectedCandidate, selectNewestVerified } from './select.js';
import type { RankedTags } from './tags/policy.js';

export interface Progress {
  update(text: string): void;
  done(): void;
}

export interface UpdateOptions {
  repository: GitRepository;
  /** Absolute directory inside the repository where markers (and, by default, Flux objects) are looked for. */
  scanPath: string;
  /** Files or directories holding the Flux objects (`--images`); default: `scanPath`. */
  images?: readonly string[];
  pullSecrets?: ReadonlyMap<string, PullSecret>;
  author?: Author;
  messageTemplate: MessageTemplate;
  /** Push after committing, to this branch or the current branch's upstream. */
  push?: { branch?: string };
  dryRun: boolean;
  /** Write a candidate older than what Git pins (off by default). */
  allowDowngrade?: boolean;
  /** Candidates verified at once (default 4). */
  concurrency?: number;
  /** Tags asked for per tag-list page (default 1000). */
  tagPageSize?: number;
  /** Deadline for listing one repository's tags, and for verifying one candidate. */
  timeoutMs: number;
}

export interface UpdateDependencies {
  /**
   * The policy engine for an ImageRepository, reaching the registry with the same access as
   * `registryFor` (its pull secret and `insecure` flag); asked for only when a marker needs an election.
   */
  checker(repository: ImageRepositoryObject, secret: PullSecret | undefined): Promise<ImageChecker>;
  /** The registry client for an ImageRepository (its pull secret and `insecure` flag applied). */
  registryFor(repository: ImageRepositoryObject, secret: PullSecret | undefined): Promise<RegistryClient>;
  progress?: Progress;
}

export type PolicyOutcome =
  /** Marked values were changed to the elected image. */
  | 'updated'
  /** The elected image is what Git already has. */
  | 'current'
  /** No candidate passed (or none at or above what Git pins): nothing written. */
  | 'no-candidate'
  /** The policy could not be evaluated (unknown policy, registry failure). */
  | 'failed'
  /** Suspended ImagePolicy or ImageRepository. */
  | 'skipped';

export interface PolicyReport {
  policy: string;
  image?: string;
  ordering?: string;
  markers: number;
  outcome: PolicyOutcome;
  message?: string;
  /** The newest version the markers pin now: candidates older than it are not considered. */
  pinned?: { tag?: string; digest?: string };
  tags?: RankedTags['counts'] & { pages: number; candidates: number; considered: number };
  chosen?: ChosenCandidate & { reference: string };
  rejected: RejectedCandidate[];
  examined: number;
}

export interface ChangeReport {
  file: string;
  line: number;
  setter: string;
  policy: string;
  oldValue: string;
  newValue: string;
}

export interface UpdateReport {
  dryRun: boolean;
  policies: PolicyReport[];
  changes: ChangeReport[];
  warnings: string[];
  /** Unified diff of what would be written (dry run only). */
  diff?: string;
  commit?: { sha: string; message: string; pushed?: { remote: string; branch: string } };
  /** False when some marked policy found no acceptable candidate or failed: exit 1. */
  ok: boolean;
}

interface MarkerFile {
  absolute: string;
  /** Relative to the repository root, `/`-separated. */
  path: string;
  text: string;
  markers: Marker[];
}

async function scanMarkerFiles(root: string, scanPath: string, warnings: string[]): Promise<MarkerFile[]> {
  const files: MarkerFile[] = [];
  for (const absolute of await collectYamlFiles(scanPath)) {
    const bytes = await readFile(absolute);
    const text = bytes.toString('utf8');
    const path = relative(root, absolute).split('\\').join('/');
    if (!text.includes('$imagepolicy')) continue;
    if (!Buffer.from(text, 'utf8').equals(bytes)) {
      warnings.push(`skipped ${path}: not valid UTF-8, so it cannot be rewritten byte for byte`);
      continue;
    }
    const found = findMarkers(path, text);
    warnings.push(...found.warnings);
    if (found.markers.length) files.push({ absolute, path, text, markers: found.markers });
  }
  return files;
}

/**
 * Whether a marked value is about the ImageRepository's repository. A value naming another one (Flux's
 * own setter test moves `image:v1.0.0` to `updated:v1.0.1`) pins nothing of this repository: its tag
 * is no floor for the election. A value whose name cannot be read is taken to be about it, so that
 * the no-downgrade rule keeps holding when in doubt.
 */
function aboutRepository(marker: Marker, repository: ImageRepositoryObject): boolean {
  const name = markedName(marker);
  if (name === undefined) return true;
  let named: { registry: string; repository: string };
  try {
    named = canonicalLocation(parseReference(name));
  } catch {
    return true;
  }
  const own = canonicalLocation(repository);
  return named.registry === own.registry && named.repository === own.repository;
}

/** The newest tag the markers pin under the policy's order, and its digest when one is written. */
function pinnedVersion(
  policy: ImagePolicyObject,
  repository: ImageRepositoryObject,
  allMarkers: readonly Marker[],
): { tag?: string; digest?: string } {
  const markers = allMarkers.filter((marker) => aboutRepository(marker, repository));
  let best: { tag?: string; digest?: string } = {};
  for (const marker of markers) {
    const pinned = pinnedBy(marker);
    if (pinned.tag === undefined) continue;
    if (best.tag === undefined) {
      // Comparing a tag with itself tells whether it is a version under the policy at all.
      if (policy.tagPolicy.compareTags(pinned.tag, pinned.tag) !== undefined) best = pinned;
      continue;
    }
    const comparison = policy.tagPolicy.compareTags(pinned.tag, best.tag);
    if (comparison !== undefined && comparison > 0) best = pinned;
  }
  if (best.tag !== undefined && best.digest === undefined) {
    const digest = markers.map(pinnedBy).find((pinned) => pinned.digest !== undefined)?.digest;
    if (digest !== undefined) best = { ...best, digest };
  }
  return best;
}

export async function runUpdate(options: UpdateOptions, deps: UpdateDependencies): Promise<UpdateReport> {
  const root = options.repository.root;
  const objects = await loadFluxObjects(options.images ?? [options.scanPath], {
    explicit: options.images !== undefined,
  });
  const warnings = [...objects.warnings];
  const files = await scanMarkerFiles(root, options.scanPath, warnings);
  const byPolicy = new Map<string, Marker[]>();
  for (const file of files)
    for (const marker of file.markers)
      byPolicy.set(marker.policyKey, [...(byPolicy.get(marker.policyKey) ?? []), marker]);

  const report: UpdateReport = { dryRun: options.dryRun, policies: [], changes: [], warnings, ok: true };
  const elected = new Map<string, { name: string; tag: string; digest: string }>();
  const tagCache = new Map<string, Promise<{ tags: string[]; pages: number }>>();

  for (const key of [...byPolicy.keys()].sort()) {
    const markers = byPolicy.get(key) ?? [];
    const policyReport: PolicyReport = {
      policy: key,
      markers: markers.length,
      outcome: 'failed',
      rejected: [],
      examined: 0,
    };
    report.policies.push(policyReport);
    const policy = objects.policies.get(key);
    if (!policy) {
      policyReport.message = `no ImagePolicy ${key} was loaded (marked at ${markers.map((m) => formatLocation(m.location)).join(', ')}); name its file with --images`;
      continue;
    }
    const repository = objects.repositories.get(policy.repositoryKey) as ImageRepositoryObject;
    policyReport.image = repository.spec.image;
    policyReport.ordering = policy.tagPolicy.describe();
    if (policy.spec.suspend || repository.spec.suspend) {
      policyReport.outcome = 'skipped';
      policyReport.message = `${policy.spec.suspend ? `ImagePolicy ${key}` : `ImageRepository ${policy.repositoryKey}`} is suspended`;
      continue;
    }
    let secret: PullSecret | undefined;
    if (repository.spec.secretRef) {
      const secretKey = `${repository.namespace}/${repository.spec.secretRef.name}`;
      secret = options.pullSecrets?.get(secretKey);
      if (!secret)
        warnings.push(
          `ImageRepository ${policy.repositoryKey}: Secret ${secretKey} was not given with --pull-secrets; using the credentials of --registry-config`,
        );
    }
    const client = await deps.registryFor(repository, secret);
    const target = { registry: repository.registry, repository: repository.repository };

    deps.progress?.update(`${key}: listing tags of ${repository.spec.image}`);
    const cacheKey = `${policy.repositoryKey}\0${secret?.source ?? ''}`;
    let listing = tagCache.get(cacheKey);
    if (!listing) {
      listing = (async () => {
        const tags: string[] = [];
        let pages = 0;
        const deadline = Deadline.after(options.timeoutMs);
        for await (const page of client.tagPages(target, {
          pageSize: options.tagPageSize ?? 1000,
          deadline,
        })) {
          pages++;
          tags.push(...page);
          deps.progress?.update(`${key}: listing tags of ${repository.spec.image}: ${tags.length}`);
        }
        return { tags, pages };
      })();
      tagCache.set(cacheKey, listing);
    }
    let tags: string[];
    let pages: number;
    try {
      ({ tags, pages } = await listing);
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      policyReport.message = `cannot list the tags of ${repository.spec.image}: ${describeError(error)}`;
      continue;
    }

    const ranked = policy.tagPolicy.rank(tags);
    const pinned = pinnedVersion(policy, repository, markers);
    if (pinned.tag !== undefined || pinned.digest !== undefined) policyReport.pinned = pinned;
    let considered = ranked.candidates;
    if (!options.allowDowngrade && pinned.tag !== undefined) {
      const floor = pinned.tag;
      const end = considered.findIndex(
        (candidate) => (policy.tagPolicy.compareTags(candidate.tag, floor) ?? 1) < 0,
      );
      if (end >= 0) considered = considered.slice(0, end);
    }
    policyReport.tags = {
      ...ranked.counts,
      pages,
      candidates: ranked.candidates.length,
      considered: considered.length,
    };

    if (!considered.length) {
      policyReport.outcome = 'no-candidate';
      policyReport.message = ranked.candidates.length
        ? `no candidate is newer than or equal to ${pinned.tag}, which Git pins (no downgrade)`
        : tags.length
          ? 'no tag is a candidate under the policy'
          : 'the repository has no tags';
      continue;
    }

    const selection = await selectNewestVerified({
      image: repository.spec.image,
      repository: target,
      candidates: considered.map((candidate) => candidate.tag),
      checker: await deps.checker(repository, secret),
      registry: client,
      ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
      timeoutMs: options.timeoutMs,
      onProgress: ({ tag, examined, total }) =>
        deps.progress?.update(`${key}: verifying ${tag} (${examined} of ${total} examined)`),
    });
    policyReport.rejected = selection.rejected;
    policyReport.examined = selection.examined;
    if (!selection.chosen) {
      policyReport.outcome = 'no-candidate';
      policyReport.message =
        pinned.tag !== undefined && !options.allowDowngrade
          ? `no candidate newer than or equal to ${pinned.tag} (which Git pins) verifies`
          : 'no candidate verifies';
      continue;
    }
    const image = { name: repository.spec.image, tag: selection.chosen.tag, digest: selection.chosen.digest };
    policyReport.chosen = { ...selection.chosen, reference: valueFor('full', image) };
    policyReport.outcome = 'current';
    elected.set(key, image);
  }
  deps.progress?.done();

  // Rewrite the marked values of every elected policy.
  const newTexts = new Map<MarkerFile, string>();
  const messageChanges: MessageChange[] = [];
  for (const file of files) {
    const edits: ValueEdit[] = [];
    for (const marker of file.markers) {
      const image = elected.get(marker.policyKey);
      if (!image) continue;
      const value = valueFor(marker.field, image);
      if (value === marker.value) continue;
      edits.push({ start: marker.start, end: marker.end, value, style: marker.style });
      report.changes.push({
        file: file.path,
        line: marker.location.line,
        setter: marker.setter,
        policy: marker.policyKey,
        oldValue: marker.value,
        newValue: value,
      });
      messageChanges.push({
        File: file.path,
        Setter: marker.setter,
        OldValue: marker.value,
        NewValue: value,
        Policy: marker.policyKey,
        Image: valueFor('full', image),
        Tag: image.tag,
        Digest: image.digest,
      });
      const policyReport = report.policies.find((entry) => entry.policy === marker.policyKey);
      if (policyReport) policyReport.outcome = 'updated';
    }
    if (edits.length) newTexts.set(file, applyEdits(file.text, edits));
  }
  report.ok = report.policies.every(
    (entry) => entry.outcome !== 'failed' && entry.outcome !== 'no-candidate',
  );

  if (options.dryRun) {
    report.diff = [...newTexts]
      .map(([file, text]) =>
        createTwoFilesPatch(`a/${file.path}`, `b/${file.path}`, file.text, text, undefined, undefined, {
          context: 3,
        }),
      )
      .map((patch) => patch.replace(/^=+\n/, ''))
      .join('');
    return report;
  }
  if (!newTexts.size) return report;

  const message = options.messageTemplate.render(messageChanges);
  if (message.trim() === '')
    throw new PromoteError('INVALID_TEMPLATE', 'the commit message template renders an empty message');
  const paths = [...newTexts.keys()].map((file) => file.path);
  const dirty = await options.repository.dirtyFiles(paths);
  if (dirty.length)
    throw new PromoteError(
      'DIRTY_FILE',
      `not writing: ${dirty.join(', ')} ${dirty.length === 1 ? 'has' : 'have'} uncommitted changes; commit or stash them first`,
    );
  for (const [file, text] of newTexts) await writeFile(file.absolute, text);
  let sha: string;
  try {
    sha = await options.repository.commit(paths, message, options.author);
  } catch (error) {
    // Leave the working tree as it was, so the next round does not find the files dirty.
    for (const file of newTexts.keys()) await writeFile(file.absolute, file.text);
    await options.repository.unstage(paths).catch(() => undefined);
    throw error;
  }
  report.commit = { sha, message };
  if (options.push) report.commit.pushed = await options.repository.push(options.push.branch);
  return report;
}

/** `--path` resolved inside the repository; a path escaping it is an error. */
export function resolveScanPath(root: string, path: string | undefined): string {
  const absolute = path === undefined ? root : resolve(root, path);
  const rel = relative(root, absolute);
  if (rel.startsWith('..') || rel.startsWith('/'))
    throw new PromoteError('INVALID_PATH', `--path ${path} is outside the repository ${root}`);
  return absolute;
}
