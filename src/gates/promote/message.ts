/**
 * Commit message templates: a small, strict subset of Go's text/template, enough for Flux-style
 * templates that list the changes.
 *
 *   {{range .Changes}} … {{end}}   repeats its body for each change (`.Changed.Changes` is accepted
 *                                   too, as Flux spells it)
 *   {{.File}}      file, relative to the repository
 *   {{.Setter}}    the marker's setter, e.g. `flux-system:app:tag`
 *   {{.OldValue}}  the value before
 *   {{.NewValue}}  the value written
 *   {{.Policy}}    the ImagePolicy, `namespace/name`
 *   {{.Image}}     the elected image, `name:tag@sha256:…`
 *   {{.Tag}} {{.Digest}}  its tag and verified digest
 *   {{/* … *\/}}   a comment
 *   {{- and -}}    trim the white space before / after the action, as in Go
 *
 * Fields are only available inside `range`. Anything else is an error when the template is loaded,
 * with its line and column, so a broken template never produces a half-rendered commit.
 */
import { PromoteError } from './errors.js';

export interface MessageChange {
  File: string;
  Setter: string;
  OldValue: string;
  NewValue: string;
  Policy: string;
  Image: string;
  Tag: string;
  Digest: string;
}

const FIELDS: ReadonlySet<string> = new Set([
  'File',
  'Setter',
  'OldValue',
  'NewValue',
  'Policy',
  'Image',
  'Tag',
  'Digest',
]);

type Part =
  | { kind: 'text'; text: string }
  | { kind: 'field'; name: keyof MessageChange }
  | { kind: 'range'; body: Part[] };

export const DEFAULT_MESSAGE_TEMPLATE = `Update images to verified digests

{{range .Changes}}- {{.File}}: {{.OldValue}} -> {{.NewValue}}
{{end}}`;

export class MessageTemplate {
  private constructor(private readonly parts: readonly Part[]) {}

  /** Parses a template; `source` names it in errors (a file path). */
  static parse(text: string, source = 'message template'): MessageTemplate {
    const root: Part[] = [];
    let body = root;
    let inRange = false;
    let rangeStart = 0;
    const fail = (offset: number, message: string): never => {
      const before = text.slice(0, offset);
      const line = before.split('\n').length;
      const column = offset - before.lastIndexOf('\n');
      throw new PromoteError('INVALID_TEMPLATE', `${source}:${line}:${column}: ${message}`);
    };
    let position = 0;
    let trimNextText = false;
    while (position <= text.length) {
      const open = text.indexOf('{{', position);
      let literal = text.slice(position, open < 0 ? text.length : open);
      if (trimNextText) literal = literal.replace(/^\s+/, '');
      trimNextText = false;
      if (open < 0) {
        if (literal) body.push({ kind: 'text', text: literal });
        break;
      }
      const close = text.indexOf('}}', open + 2);
      if (close < 0) fail(open, 'unclosed action "{{"');
      let action = text.slice(open + 2, close);
      if (/^-\s/.test(action)) {
        literal = literal.replace(/\s+$/, '');
        action = action.slice(1);
      }
      if (/\s-$/.test(action)) {
        trimNextText = true;
        action = action.slice(0, -1);
      }
      if (literal) body.push({ kind: 'text', text: literal });
      action = action.trim();
      position = close + 2;
      if (/^\/\*[\s\S]*\*\/$/.test(action)) continue;
      const range = /^range\s+(\.Changes|\.Changed\.Changes)$/.exec(action);
      if (range) {
        if (inRange) fail(open, 'nested {{range}} is not supported');
        const part: Part = { kind: 'range', body: [] };
        body.push(part);
        body = part.body;
        inRange = true;
        rangeStart = open;
        continue;
      }
      if (action === 'end') {
        if (!inRange) fail(open, '{{end}} without {{range .Changes}}');
        body = root;
        inRange = false;
        continue;
      }
      const field = /^\.([A-Za-z]+)$/.exec(action);
      if (field && FIELDS.has(field[1] as string)) {
        if (!inRange) fail(open, `{{${action}}} is only available inside {{range .Changes}}`);
        body.push({ kind: 'field', name: field[1] as keyof MessageChange });
        continue;
      }
      fail(
        open,
        `unsupported action {{${action}}}: use {{range .Changes}}…{{end}} with ${[...FIELDS].map((name) => `.${name}`).join(', ')}`,
      );
    }
    if (inRange) fail(rangeStart, '{{range}} without {{end}}');
    return new MessageTemplate(root);
  }

  render(changes: readonly MessageChange[]): string {
    const renderParts = (parts: readonly Part[], change?: MessageChange): string =>
      parts
        .map((part) => {
          if (part.kind === 'text') return part.text;
          if (part.kind === 'field') return change ? change[part.name] : '';
          return changes.map((each) => renderParts(part.body, each)).join('');
        })
        .join('');
    return renderParts(this.parts);
  }
}
