import type { Command } from 'commander';
import { collectList } from './repeatable.js';

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
