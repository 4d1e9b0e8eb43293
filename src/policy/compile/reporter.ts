import type { LocatedMessage, Location, PolicyErrorCode, PolicyIssue } from '../errors.js';

/** Collects the errors and warnings of one document, each located at a field path inside it. */
export class Reporter {
  private errors = 0;

  constructor(
    readonly location: Location,
    private readonly issues: PolicyIssue[],
    private readonly warnings: LocatedMessage[],
  ) {}

  error(code: PolicyErrorCode, path: string, message: string): void {
    this.errors++;
    this.issues.push({ ...this.location, ...(path !== '' && { path }), code, message });
  }

  warn(path: string, message: string): void {
    this.warnings.push({ ...this.location, ...(path !== '' && { path }), message });
  }

  /** True once any error was reported through this reporter. */
  get failed(): boolean {
    return this.errors > 0;
  }
}

/** `"a", "b" and "c"` */
export function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** Checks that exactly one of the named fields is set; reports and returns false otherwise. */
export function exactlyOne(
  reporter: Reporter,
  path: string,
  fields: Record<string, unknown>,
  options: { allowNone?: boolean } = {},
): boolean {
  const names = Object.keys(fields);
  const set = names.filter((name) => fields[name] !== undefined);
  if (set.length === 1 || (set.length === 0 && options.allowNone)) return true;
  reporter.error(
    'INVALID',
    path,
    set.length === 0
      ? `expected exactly one of ${listNames(names)}, got none`
      : `expected exactly one of ${listNames(names)}, got ${listNames(set)}`,
  );
  return false;
}
