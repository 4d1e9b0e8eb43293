import type { Command } from 'commander';

/** Comma-separated and repeatable: `--warn-namespaces dev,team-* --warn-namespaces staging`. */
export function collectList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((entry) => entry.trim())];
}

/**
 * `--audit` and the per-namespace overrides, declared once so that the webhook and `vouch audit` —
 * which must reach the same verdicts — cannot drift apart in what they accept.
 */
export function addEnforcementOptions(command: Command, excludeHelp: string): Command {
  return command
    .option('--audit', 'every policy only warns (except in --enforce-namespaces)', false)
    .option(
      '--enforce-namespaces <list>',
      'namespaces (names, globs) where every failure denies',
      collectList,
    )
    .option(
      '--warn-namespaces <list>',
      'namespaces (names, globs) where policy failures only warn',
      collectList,
    )
    .option('--exclude-namespaces <list>', excludeHelp, collectList);
}
