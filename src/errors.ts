/**
 * The root of every error vouch raises on purpose. Each layer defines one subclass whose `code` is a
 * string-literal union, so callers switch on stable codes instead of matching message text, and the
 * underlying `cause` is kept for logs. The subclass is named `<Layer>Error` and its `layer` is its
 * folder under `src/`: CacheError (`cache`), CliError (`cli`), BuildError (`gates/build`), PromoteError
 * (`gates/promote`), AdmissionError (`gates/admission`), PolicyError, VerifyError, SignatureError,
 * RegistryError — and InvalidReferenceError (`reference`), the one exception, because `ReferenceError`
 * is JavaScript's own and a module that forgot the import would test against that one silently.
 */
export abstract class VouchError<Code extends string = string> extends Error {
  abstract readonly layer: string;
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export function isVouchError(value: unknown): value is VouchError {
  return value instanceof VouchError;
}

/** A message for any thrown value, without a stack trace. */
export function describeError(value: unknown): string {
  if (value instanceof Error) return value.message;
  return String(value);
}
