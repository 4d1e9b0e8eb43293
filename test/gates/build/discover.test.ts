import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildError, buildFileKind, discoverBuildFiles } from '../../../src/gates/build/index.js';
import { tempDir } from '../../harness/index.js';

describe('discoverBuildFiles', () => {
  let root: string;
  beforeAll(async () => {
    root = await tempDir('bases-discover');
    const files = [
      'Dockerfile',
      'app.Dockerfile',
      'Dockerfile.dev',
      'Dockerfile.dockerignore',
      'Containerfile',
      'dockerfile',
      '.ko.yaml',
      'README.md',
      'Makefile',
      'services/api/Dockerfile',
      'services/api/.ko.yml',
      'node_modules/pkg/Dockerfile',
      '.git/Dockerfile',
      'empty/.keep',
    ];
    for (const file of files) {
      await mkdir(join(root, file, '..'), { recursive: true });
      await writeFile(join(root, file), 'FROM alpine\n');
    }
    await symlink(join(root, 'services'), join(root, 'linked'));
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('finds build files in a directory tree, in a stable order, skipping node_modules, .git and links', async () => {
    const found = await discoverBuildFiles([root]);
    expect(found.map((file) => [relative(root, file.path), file.kind])).toEqual([
      ['.ko.yaml', 'ko'],
      ['Containerfile', 'dockerfile'],
      ['Dockerfile', 'dockerfile'],
      ['Dockerfile.dev', 'dockerfile'],
      ['app.Dockerfile', 'dockerfile'],
      ['dockerfile', 'dockerfile'],
      ['services/api/.ko.yml', 'ko'],
      ['services/api/Dockerfile', 'dockerfile'],
    ]);
  });

  it('takes files named on the command line whatever their name, each once', async () => {
    const found = await discoverBuildFiles([
      join(root, 'Makefile'),
      join(root, 'services/api/.ko.yml'),
      join(root, 'services'),
      join(root, 'Makefile'),
    ]);
    expect(found.map((file) => [relative(root, file.path), file.kind])).toEqual([
      ['Makefile', 'dockerfile'],
      ['services/api/.ko.yml', 'ko'],
      ['services/api/Dockerfile', 'dockerfile'],
    ]);
  });

  it('fails on a missing path and on a directory without build files', async () => {
    await expect(discoverBuildFiles([join(root, 'missing')])).rejects.toThrow(
      /^cannot read .*missing: no such file or directory$/,
    );
    const error = await discoverBuildFiles([join(root, 'empty')]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BuildError);
    expect((error as BuildError).code).toBe('NO_INPUT');
    expect((error as Error).message).toMatch(/empty holds no Dockerfile/);
    await expect(discoverBuildFiles([])).rejects.toThrow(BuildError);
  });

  it.each([
    ['Dockerfile', 'dockerfile'],
    ['Containerfile.arm64', 'dockerfile'],
    ['web.containerfile', 'dockerfile'],
    ['.ko.yaml', 'ko'],
    ['Dockerfile.dockerignore', undefined],
    ['Dockerfiles', undefined],
    ['ko.yaml', undefined],
  ])('classifies %s', (name, kind) => {
    expect(buildFileKind(name)).toBe(kind);
  });
});
