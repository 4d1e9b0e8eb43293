// Prints the final "N passed, N failed" line from vitest's JSON report. A test file that failed to
// load (and so ran no tests) counts as one failure.
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const passed = report.numPassedTests ?? 0;
const brokenFiles = (report.testResults ?? []).filter(
  (file) =>
    file.status === 'failed' && (file.assertionResults ?? []).every((test) => test.status !== 'failed'),
).length;
console.log(`${passed} passed, ${(report.numFailedTests ?? 0) + brokenFiles} failed`);
