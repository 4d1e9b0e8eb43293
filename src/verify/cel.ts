import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import { VerifyError } from './errors.js';

/** A CEL expression compiled once, evaluated against many bindings. */
export interface CompiledCondition {
  readonly source: string;
  /** True or false; a VerifyError (EVALUATION, NOT_BOOLEAN) when evaluation fails or the result is not a boolean. */
  evaluate(bindings: Readonly<Record<string, unknown>>): boolean;
}

const env = celEnv();

/**
 * Compiles a CEL condition (via @bufbuild/cel). Syntax errors, and identifiers that are neither one
 * of `variables` nor a comprehension variable, are reported now rather than on first use.
 */
export function compileCondition(expression: string, variables: readonly string[]): CompiledCondition {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(expression);
  } catch (cause) {
    throw new VerifyError('COMPILE', `CEL condition does not compile: ${(cause as Error).message}`, {
      cause,
    });
  }
  const { identifiers, bound } = collectIdentifiers(parsed.expr);
  const unknown = [...identifiers].filter((name) => !variables.includes(name) && !bound.has(name));
  if (unknown.length)
    throw new VerifyError(
      'UNKNOWN_VARIABLE',
      `CEL condition uses unknown variable${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; available: ${variables.join(', ')}`,
    );
  let program: ReturnType<typeof plan>;
  try {
    program = plan(env, parsed);
  } catch (cause) {
    throw new VerifyError('COMPILE', `CEL condition does not compile: ${(cause as Error).message}`, {
      cause,
    });
  }
  return {
    source: expression,
    evaluate(bindings) {
      const result = program(bindings as Parameters<typeof program>[0]);
      if (isCelError(result))
        throw new VerifyError('EVALUATION', `CEL condition ${expression} failed: ${result.message}`, {
          cause: result,
        });
      if (typeof result !== 'boolean')
        throw new VerifyError(
          'NOT_BOOLEAN',
          `CEL condition ${expression} gave ${describe(result)}, not a boolean`,
        );
      return result;
    },
  };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 50))}`;
  if (typeof value === 'number' || typeof value === 'bigint') return `the number ${String(value)}`;
  if (value === null) return 'null';
  return 'a value';
}

/** Every identifier the expression reads, and the names comprehensions bind (`x` in `exists(x, …)`). */
function collectIdentifiers(root: unknown): { identifiers: Set<string>; bound: Set<string> } {
  const identifiers = new Set<string>();
  const bound = new Set<string>();
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    const kind = (node as { exprKind?: { case?: string; value?: unknown } }).exprKind;
    if (kind?.case === 'identExpr') identifiers.add((kind.value as { name: string }).name);
    if (kind?.case === 'comprehensionExpr') {
      const comprehension = kind.value as { iterVar?: string; iterVar2?: string; accuVar?: string };
      for (const name of [comprehension.iterVar, comprehension.iterVar2, comprehension.accuVar])
        if (name) bound.add(name);
    }
    for (const [key, value] of Object.entries(node)) if (key !== '$typeName') visit(value);
  };
  visit(root);
  return { identifiers, bound };
}
