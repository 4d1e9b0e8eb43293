// Prints the final "N passed, N failed" line from vitest's JSON report and vitest's exit status. A test
// file that failed to load counts as one failure, and so does a run that vitest failed for another
// reason (an unhandled error, say) while every test passed.
import { readFileSync } from 'node:fs';

const [file, statusText] = process.argv.slice(2);
const status = Number(statusText ?? 0);
let passed = 0;
let failed = 0;
try {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed = report.numPassedTests ?? 0;
  const brokenFiles = (report.testResults ?? []).filter(
    (result) =>
      result.status === 'failed' && (result.assertionResults ?? []).every((test) => test.status !== 'failed'),
  ).length;
  failed = (report.numFailedTests ?? 0) + brokenFiles;
} catch {
  failed = 1;
}
if (status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
