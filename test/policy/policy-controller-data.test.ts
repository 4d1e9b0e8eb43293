/**
 * policy-controller's own test data: every ClusterImagePolicy its webhook refuses (`invalid/`, each
 * with the error it gives in a `# ERROR:` comment) must be refused by vouch too — a policy vouch
 * accepted where policy-controller refuses could be one that silently never applies.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatIssue, loadPolicies, PolicyError } from '../../src/policy/index.js';

const INVALID = new URL('../fixtures/policy-controller/invalid/', import.meta.url).pathname;
const files = readdirSync(INVALID)
  .filter((name) => name.endsWith('.yaml'))
  .sort();

async function errorsOf(file: string): Promise<string[]> {
  try {
    await loadPolicies([`${INVALID}${file}`]);
  } catch (error) {
    if (error instanceof PolicyError) return error.issues.map(formatIssue);
    throw error;
  }
  return [];
}

describe("policy-controller's invalid ClusterImagePolicies", () => {
  it('are all there', () => {
    expect(files.length).toBe(33);
  });

  it.each(files)('%s is refused', async (file) => {
    const expected = /# ERROR:\s*(.*)/.exec(readFileSync(`${INVALID}${file}`, 'utf8'))?.[1];
    expect(expected, 'the file names the error policy-controller gives').toBeTruthy();
    expect(await errorsOf(file)).not.toEqual([]);
  });

  it('refuses a match resource policy-controller does not know, naming the ones it does', async () => {
    expect(await errorsOf('v1beta1-invalid-match-resource.yaml')).toEqual([
      `${INVALID}v1beta1-invalid-match-resource.yaml: document 1 (ClusterImagePolicy "image-match-resource"): spec.match[0].resource: unsupported resource "apple": must be one of pods, replicationcontrollers, deployments, replicasets, statefulsets, daemonsets, jobs, cronjobs`,
    ]);
  });
});
