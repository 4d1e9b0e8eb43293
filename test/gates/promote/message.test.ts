import { describe, expect, it } from 'vitest';
import { PromoteError } from '../../../src/gates/promote/errors.js';
import { parseAuthor } from '../../../src/gates/promote/git.js';
import {
  DEFAULT_MESSAGE_TEMPLATE,
  type MessageChange,
  MessageTemplate,
} from '../../../src/gates/promote/message.js';

const CHANGES: MessageChange[] = [
  {
    File: 'apps/deploy.yaml',
    Setter: 'flux-system:app',
    OldValue: 'ghcr.io/acme/app:v1.0.0',
    NewValue: 'ghcr.io/acme/app:v1.1.0@sha256:abc',
    Policy: 'flux-system/app',
    Image: 'ghcr.io/acme/app:v1.1.0@sha256:abc',
    Tag: 'v1.1.0',
    Digest: 'sha256:abc',
  },
  {
    File: 'apps/kustomization.yaml',
    Setter: 'flux-system:app:tag',
    OldValue: 'v1.0.0',
    NewValue: 'v1.1.0',
    Policy: 'flux-system/app',
    Image: 'ghcr.io/acme/app:v1.1.0@sha256:abc',
    Tag: 'v1.1.0',
    Digest: 'sha256:abc',
  },
];

describe('commit message templates', () => {
  it('lists each change with the default template', () => {
    expect(MessageTemplate.parse(DEFAULT_MESSAGE_TEMPLATE).render(CHANGES)).toBe(
      'Update images to verified digests\n\n' +
        '- apps/deploy.yaml: ghcr.io/acme/app:v1.0.0 -> ghcr.io/acme/app:v1.1.0@sha256:abc\n' +
        '- apps/kustomization.yaml: v1.0.0 -> v1.1.0\n',
    );
  });

  it('accepts Flux`s .Changed.Changes, comments and Go`s trim markers', () => {
    // As in Go, trim markers trim the template text: `{{- range` eats the blank line before it and
    // `{{- end` the newline closing each item, so each item starts with the newline after `range`.
    const template = MessageTemplate.parse(
      'chore: promote {{/* verified only */}}images\n\n{{- range .Changed.Changes }}\n* {{ .Setter }} -> {{ .Tag }} ({{ .Digest }}) in {{ .File }}\n{{- end }}\n',
    );
    expect(template.render(CHANGES)).toBe(
      'chore: promote images\n' +
        '* flux-system:app -> v1.1.0 (sha256:abc) in apps/deploy.yaml\n' +
        '* flux-system:app:tag -> v1.1.0 (sha256:abc) in apps/kustomization.yaml\n',
    );
  });

  it.each([
    ['{{ .File }}', /msg:1:1: \{\{\.File\}\} is only available inside \{\{range \.Changes\}\}/],
    ['a\n  {{range .Changes}}{{.Nope}}{{end}}', /msg:2:21: unsupported action \{\{\.Nope\}\}/],
    ['{{range .Changes}}x', /msg:1:1: \{\{range\}\} without \{\{end\}\}/],
    ['{{end}}', /\{\{end\}\} without \{\{range \.Changes\}\}/],
    ['{{range .Changes}}{{range .Changes}}{{end}}{{end}}', /nested \{\{range\}\} is not supported/],
    ['{{ printf "%s" .File', /unclosed action/],
    ['{{ .Values.team }}', /unsupported action/],
  ])('rejects %j with its position', (text, expected) => {
    const error = (() => {
      try {
        MessageTemplate.parse(text, 'msg');
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(PromoteError);
    expect((error as PromoteError).code).toBe('INVALID_TEMPLATE');
    expect((error as PromoteError).message).toMatch(expected);
  });
});

describe('--author', () => {
  it.each([
    ['Flux Bot <flux@example.com>', { name: 'Flux Bot', email: 'flux@example.com' }],
    ['  vouch   <vouch@localhost>  ', { name: 'vouch', email: 'vouch@localhost' }],
    ['no email', undefined],
    ['<only@email>', undefined],
    ['Two <a@b> <c@d>', undefined],
  ])('%j', (text, expected) => {
    expect(parseAuthor(text)).toEqual(expected);
  });
});
