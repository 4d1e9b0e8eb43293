/** The selection report for people (`--output text`); `--output json` prints the UpdateReport itself. */
import type { PolicyReport, UpdateReport } from './update.js';

function shortDigest(digest: string): string {
  return digest.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]+$/, '$1…');
}

function tagSummary(entry: PolicyReport): string | undefined {
  const tags = entry.tags;
  if (!tags) return undefined;
  const skipped = [
    tags.artefacts && `${tags.artefacts} signature/attestation/SBOM/referrer`,
    tags.excluded && `${tags.excluded} excluded`,
    tags.filteredOut && `${tags.filteredOut} filtered out`,
    tags.notCandidates && `${tags.notCandidates} not versions or out of range`,
  ].filter(Boolean);
  const pinned =
    entry.pinned?.tag !== undefined ? ` (Git pins ${entry.pinned.tag}; older ones not considered)` : '';
  const considered =
    tags.considered !== tags.candidates ? `, ${tags.considered} considered${pinned}` : pinned;
  return `${tags.listed} tag(s) in ${tags.pages} page(s)${skipped.length ? ` (${skipped.join(', ')})` : ''}: ${tags.candidates} candidate(s)${considered}, ${entry.examined} examined`;
}

export function renderText(report: UpdateReport): string[] {
  const lines: string[] = [];
  if (!report.policies.length) lines.push('no image policy markers found: nothing to update');
  for (const entry of report.policies) {
    lines.push(
      `${entry.policy}${entry.image ? `  ${entry.image}` : ''}${entry.ordering ? `  (${entry.ordering})` : ''}`,
    );
    const summary = tagSummary(entry);
    if (summary) lines.push(`  ${summary}`);
    for (const rejected of entry.rejected)
      lines.push(
        `  ✘ ${rejected.tag}${rejected.digest ? `@${shortDigest(rejected.digest)}` : ''}  ${rejected.reason}: ${rejected.message}`,
      );
    if (entry.chosen) {
      lines.push(`  ✔ ${entry.chosen.tag}@${shortDigest(entry.chosen.digest)}  verified`);
      for (const warning of entry.chosen.warnings) lines.push(`    warning: ${warning}`);
    }
    const verb = report.dryRun ? 'would write' : 'wrote';
    switch (entry.outcome) {
      case 'updated':
        lines.push(`  → ${verb} ${entry.chosen?.reference}`);
        break;
      case 'current':
        lines.push('  = Git already pins it');
        break;
      default:
        lines.push(`  ${entry.outcome === 'skipped' ? '-' : '!'} ${entry.outcome}: ${entry.message ?? ''}`);
    }
  }
  if (report.changes.length) {
    lines.push('');
    for (const change of report.changes)
      lines.push(`${change.file}:${change.line}  ${change.setter}  ${change.oldValue} → ${change.newValue}`);
  }
  if (report.commit) {
    const pushed = report.commit.pushed
      ? `, pushed to ${report.commit.pushed.remote}/${report.commit.pushed.branch}`
      : '';
    lines.push(`committed ${report.commit.sha.slice(0, 12)}${pushed}`);
  } else if (report.dryRun) {
    lines.push(report.changes.length ? 'dry run: nothing written' : 'dry run: nothing would change');
  } else if (report.policies.length) {
    lines.push('nothing to commit');
  }
  return lines;
}
