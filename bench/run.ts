import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow, Scenario } from './lib.js';
import { scenarios } from './scenarios/index.js';

/** `npm run bench [name...]`: runs every scenario (or the named ones), prints a table, writes JSON. */
async function main(): Promise<void> {
  const wanted = new Set(process.argv.slice(2));
  const selected: Scenario[] = scenarios.filter((scenario) => wanted.size === 0 || wanted.has(scenario.name));
  const rows: BenchRow[] = [];
  for (const scenario of selected) {
    process.stderr.write(`running ${scenario.name}…\n`);
    rows.push(...(await scenario.run()));
  }
  printTable(rows);
  const here = dirname(fileURLToPath(import.meta.url));
  const out = join(here, '..', '..', 'bench', 'results');
  mkdirSync(out, { recursive: true });
  const file = join(out, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const json = JSON.stringify({ date: new Date().toISOString(), node: process.version, rows }, null, 2);
  writeFileSync(file, json);
  writeFileSync(join(out, 'latest.json'), json);
  process.stderr.write(`wrote ${file}\n`);
  if (rows.some((row) => !row.met)) process.exitCode = 1;
}

function printTable(rows: BenchRow[]): void {
  const header = ['group', 'figure', 'value', 'reference', 'goal', 'met'];
  const body = rows.map((row) => [
    row.group,
    row.figure,
    `${row.value} ${row.unit}`,
    row.reference ? `${row.reference.label}: ${row.reference.value} ${row.unit}` : '',
    row.goal,
    row.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...body.map((cells) => (cells[column] as string).length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] as number)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
  for (const cells of body) console.log(line(cells));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
