import { VouchError } from '../errors.js';

/**
 * Why a policy source was refused. Every problem found while loading is reported with its own code and
 * location (see `PolicyIssue`); the error thrown for a failed load carries all of them at once, so that
 * `vouch policy lint` can show every mistake in one run.
 */
export type PolicyErrorCode =
  | 'READ' // a file or directory could not be read
  | 'YAML' // not valid YAML / JSON
  | 'INVALID' // a document does not have the shape or values policy-controller accepts
  | 'UNSUPPORTED' // recognised, but vouch does not implement it (kms keys, cue and rego policies)
  | 'MISSING_REFERENCE' // a secretRef, configMapRef or trustRootRef names something not supplied
  | 'DUPLICATE' // two documents with the same kind and name
  | 'FETCH' // a remote policy could not be fetched
  | 'CHECKSUM' // a remote policy's body does not have the sha256sum the policy names
  | 'NO_POLICIES' // nothing to enforce was found
  | 'UNUSABLE_AUTHORITY'; // an authority's key, trust material or condition cannot be used (it denies)

/** Where a message points: `file: document 2 (ClusterImagePolicy "x"): spec.authorities[0].key`. */
export interface Location {
  /** The file, URL or inline source the document came from. */
  source: string;
  /** 1-based position of the document in a multi-document file. */
  document?: number;
  /** Set for documents found inside a `List`: the item's index. */
  item?: number;
  kind?: string;
  name?: string;
  /** Field path inside the document, `spec.authorities[0].key`. */
  path?: string;
}

/** A located message: a warning, or (with a code) an error. */
export interface LocatedMessage extends Location {
  message: string;
}

export interface PolicyIssue extends LocatedMessage {
  code: PolicyErrorCode;
}

export function formatLocation(location: Location): string {
  const parts = [location.source];
  if (location.document !== undefined) {
    let where = `document ${location.document}`;
    if (location.item !== undefined) where += `, items[${location.item}]`;
    if (location.kind !== undefined)
      where +=
        location.name !== undefined
          ? ` (${location.kind} ${JSON.stringify(location.name)})`
          : ` (${location.kind})`;
    parts.push(where);
  }
  if (location.path) parts.push(location.path);
  return parts.join(': ');
}

export function formatIssue(issue: LocatedMessage): string {
  return `${formatLocation(issue)}: ${issue.message}`;
}

/**
 * The policy layer's one error class. A failed load carries every located problem in `issues` (its
 * code and message are the first one's); a single problem found elsewhere (a remote policy that cannot
 * be fetched, trust material an authority cannot use) has a code and a message and no issues.
 */
export class PolicyError extends VouchError<PolicyErrorCode> {
  readonly layer = 'policy';
  readonly issues: readonly PolicyIssue[];
  /** Warnings found on the way, so that a caller reporting the errors can show them too. */
  readonly warnings: readonly LocatedMessage[];

  constructor(
    code: PolicyErrorCode,
    message: string,
    options?: { cause?: unknown; issues?: readonly PolicyIssue[]; warnings?: readonly LocatedMessage[] },
  ) {
    super(code, message, options);
    this.issues = options?.issues ?? [];
    this.warnings = options?.warnings ?? [];
  }

  /** The error of a load that found `issues` (at least one). */
  static fromIssues(
    issues: readonly PolicyIssue[],
    options?: { cause?: unknown; warnings?: readonly LocatedMessage[] },
  ): PolicyError {
    const first = issues[0];
    if (first === undefined) throw new RangeError('a failed load has at least one issue');
    return new PolicyError(first.code, issues.map(formatIssue).join('\n'), { ...options, issues });
  }
}

/** Why an authority's key, trust material or condition cannot be used: it denies with this reason. */
export function unusableAuthority(message: string, cause?: unknown): PolicyError {
  return new PolicyError('UNUSABLE_AUTHORITY', message, cause === undefined ? undefined : { cause });
}

export function isPolicyError(value: unknown, code?: PolicyErrorCode): value is PolicyError {
  return value instanceof PolicyError && (code === undefined || value.code === code);
}
