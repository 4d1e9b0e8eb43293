import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError } from '../../errors.js';
import {
  exitStatus,
  fileName,
  formatReport,
  importPolicies,
  orderedDrafts,
  readImportSource,
  renderAll,
  renderDraft,
  type SourceTool,
} from '../../policy/import/index.js';
import { formatIssue } from '../../policy/index.js';
import { MAX_POLICY_FILE_BYTES } from '../../policy/load/sources.js';
import { CliError, type ExitCode } from '../errors.js';
import type { GlobalOptions } from '../global-options.js';
import { printLines, write } from '../output.js';

export interface PolicyImportOptions extends GlobalOptions {
  from: SourceTool;
  out?: string;
}

/** Reads stdin, refusing more than a policy file may hold. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_POLICY_FILE_BYTES)
      throw new Error(`more than ${MAX_POLICY_FILE_BYTES / (1024 * 1024)} MiB`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `vouch policy import --from TOOL SOURCE [--out DIR]`: the translated documents on stdout (or in DIR),
 * the report on stderr. Exit 0 exact, 1 approximated (written, marked), 2 refused (nothing written).
 */
export async function runPolicyImport(source: string, options: PolicyImportOptions): Promise<ExitCode> {
  const read = await readImportSource(source, readStdin);
  if (read.issues.length > 0) {
    await printLines(
      read.issues.map((issue) => `vouch: ${formatIssue(issue)}`),
      process.stderr,
    );
    return 2;
  }
  const result = importPolicies(options.from, read.documents);
  const status = exitStatus(result);
  if (status === 2) {
    await printLines(
      [
        ...result.refusals.map((issue) => `vouch: ${formatIssue(issue)}`),
        `vouch: ${options.from} itself would refuse this input; nothing was written`,
      ],
      process.stderr,
    );
    return 2;
  }
  if (options.out !== undefined) {
    try {
      await mkdir(options.out, { recursive: true });
      for (const draft of orderedDrafts(result))
        await writeFile(join(options.out, fileName(draft)), renderDraft(result, draft));
    } catch (error) {
      throw new CliError('CONFIG', `cannot write to --out ${options.out}: ${describeError(error)}`);
    }
  } else await write(process.stdout, renderAll(result));
  await printLines(formatReport(result), process.stderr);
  return status;
}
