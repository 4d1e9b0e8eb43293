import { VerifyError } from '../errors.js';
import { type DistinguishedName, isSubsetDn, parseDistinguishedName } from './distinguished-name.js';
import {
  type CheckAction,
  type CheckActions,
  checkActions,
  type NotationCheck,
  overrideProblem,
  VERIFICATION_LEVELS,
  type VerificationLevel,
} from './levels.js';
import { canonicalScope, GLOBAL_SCOPE, registryScopeProblem } from './scope.js';
import {
  parseTrustStoreReference,
  type TrustStoreReference,
  trustStoreReferenceProblem,
} from './trust-store.js';

/** A trusted identity: any certificate from the stores (`*`), or one whose subject has these attributes. */
export type TrustedIdentity =
  | { readonly kind: 'any' }
  | { readonly kind: 'x509.subject'; readonly text: string; readonly dn: DistinguishedName };

export type VerifyTimestamp = 'always' | 'afterCertExpiry';

/** What one statement says about signatures, whatever selects it (registry scopes, or a policy's images). */
export interface NotationTrustRules {
  readonly level: VerificationLevel;
  readonly override: Readonly<Partial<Record<NotationCheck, CheckAction>>>;
  /** The action of each check, the level's with the overrides applied. */
  readonly actions: CheckActions;
  readonly verifyTimestamp: VerifyTimestamp;
  readonly trustStores: readonly TrustStoreReference[];
  readonly trustedIdentities: readonly TrustedIdentity[];
}

export interface TrustPolicyStatement extends NotationTrustRules {
  readonly name: string;
  /** As written; `*` alone is the global scope. */
  readonly registryScopes: readonly string[];
}

export interface TrustPolicyDocument {
  readonly version: '1.0';
  readonly statements: readonly TrustPolicyStatement[];
  /** The file (or other origin) it was read from, for messages. */
  readonly source: string;
}

/** Bounds on a trust policy document: its size and what the rules compare pairwise. */
export const TRUST_POLICY_LIMITS = {
  maxBytes: 1024 * 1024,
  maxStatements: 1000,
  maxTrustStores: 64,
  maxTrustedIdentities: 256,
  maxRegistryScopes: 1000,
} as const;

/** A rule broken, in words; callers that know where (the file, the statement) re-throw with that prefix. */
function fail(message: string, cause?: unknown): never {
  throw new VerifyError(
    'NOTATION_TRUST_POLICY_INVALID',
    message,
    cause === undefined ? undefined : { cause },
  );
}

function isRuleError(error: unknown): error is VerifyError {
  return error instanceof VerifyError && error.code === 'NOTATION_TRUST_POLICY_INVALID';
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The members of a JSON object by their defined names, matched ignoring case as notation's Go decoder
 * matches them. A member no rule defines is refused (a misspelt `verifyTimestamp` would otherwise be
 * ignored and its default silently applied), and so are two that differ only in case.
 */
function members(object: Json, names: readonly string[], what: string): Record<string, unknown> {
  const found: Record<string, unknown> = {};
  const seen = new Map<string, string>();
  for (const [key, value] of Object.entries(object)) {
    const name = names.find((candidate) => candidate.toLowerCase() === key.toLowerCase());
    if (name === undefined)
      fail(`${what} has an unknown field ${JSON.stringify(key)} (fields are ${names.join(', ')})`);
    const earlier = seen.get(name);
    if (earlier !== undefined)
      fail(`${what} has conflicting fields ${JSON.stringify(earlier)} and ${JSON.stringify(key)}`);
    seen.set(name, key);
    found[name] = value;
  }
  return found;
}

function stringList(value: unknown, what: string, max: number): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string'))
    fail(`${what} is not a list of strings`);
  if (value.length > max) fail(`${what} has ${value.length} entries; the limit is ${max}`);
  return value as string[];
}

/**
 * `signatureVerification`: a level, optional per-check overrides (integrity never; skip only for
 * revocation; none with level `skip`), and `verifyTimestamp` (`always`, the default, or
 * `afterCertExpiry`).
 */
export function parseSignatureVerification(
  value: unknown,
): Pick<NotationTrustRules, 'level' | 'override' | 'actions' | 'verifyTimestamp'> {
  if (!isObject(value)) fail('signatureVerification is missing or not an object');
  const fields = members(value, ['level', 'override', 'verifyTimestamp'], 'signatureVerification');
  const level = fields.level;
  if (level === undefined || level === '') fail('signatureVerification has no level');
  if (typeof level !== 'string' || !(VERIFICATION_LEVELS as readonly string[]).includes(level))
    fail(
      `signatureVerification level ${JSON.stringify(level)} is not one of strict, permissive, audit, skip`,
    );
  const override: Partial<Record<NotationCheck, CheckAction>> = {};
  if (fields.override !== undefined && fields.override !== null) {
    if (!isObject(fields.override)) fail('signatureVerification override is not an object');
    const entries = Object.entries(fields.override);
    if (entries.length > 0 && level === 'skip')
      fail('signatureVerification level skip cannot be combined with an override');
    for (const [check, action] of entries) {
      const problem = overrideProblem(check, typeof action === 'string' ? action : JSON.stringify(action));
      if (problem) fail(`signatureVerification ${problem}`);
      override[check as NotationCheck] = action as CheckAction;
    }
  }
  const verifyTimestamp = fields.verifyTimestamp ?? 'always';
  if (verifyTimestamp !== 'always' && verifyTimestamp !== 'afterCertExpiry')
    fail(
      `signatureVerification verifyTimestamp ${JSON.stringify(verifyTimestamp)} is not always or afterCertExpiry`,
    );
  return {
    level: level as VerificationLevel,
    override,
    actions: checkActions(level as VerificationLevel, override),
    verifyTimestamp,
  };
}

/**
 * `trustedIdentities`: `*` alone, or `x509.subject: <DN>` entries (the DN with C, ST and O at least),
 * no two of which overlap (one's attributes a subset of the other's).
 */
export function parseTrustedIdentities(values: readonly string[]): TrustedIdentity[] {
  if (values.includes('*')) {
    if (values.length > 1)
      fail('trustedIdentities uses the wildcard "*", which cannot be combined with other identities');
    return [{ kind: 'any' }];
  }
  const identities = values.map((text): TrustedIdentity => {
    if (text === '') fail('trustedIdentities has an empty identity');
    const colon = text.indexOf(':');
    if (colon < 0) fail(`trusted identity ${JSON.stringify(text)} has no "x509.subject:" prefix`);
    const prefix = text.slice(0, colon);
    if (prefix !== 'x509.subject')
      fail(
        `trusted identity ${JSON.stringify(text)} has the prefix ${JSON.stringify(prefix)}; only x509.subject is supported`,
      );
    const value = text.slice(colon + 1);
    if (value.trim() === '') fail(`trusted identity ${JSON.stringify(text)} has no distinguished name`);
    const parsed = parseDistinguishedName(value);
    if (!parsed.ok) fail(`trusted identity ${JSON.stringify(text)}: ${parsed.reason}`);
    return { kind: 'x509.subject', text, dn: parsed.dn };
  });
  for (const [i, a] of identities.entries())
    for (const [j, b] of identities.entries())
      if (i !== j && a.kind === 'x509.subject' && b.kind === 'x509.subject' && isSubsetDn(a.dn, b.dn))
        fail(`trusted identities ${JSON.stringify(a.text)} and ${JSON.stringify(b.text)} overlap`);
  return identities;
}

/** `trustStores`: `type:name` entries (duplicates collapse, as in notation). */
export function parseTrustStoreReferences(values: readonly string[]): TrustStoreReference[] {
  const seen = new Set<string>();
  const references: TrustStoreReference[] = [];
  for (const text of values) {
    const problem = trustStoreReferenceProblem(text);
    if (problem) fail(problem);
    if (seen.has(text)) continue;
    seen.add(text);
    references.push(parseTrustStoreReference(text));
  }
  return references;
}

/**
 * The rules of one statement without its scope (the part a ClusterImagePolicy's `notation`
 * authority carries too): a level other than `skip` needs trust stores and trusted identities, and
 * `skip` allows neither.
 */
export function parseTrustRules(input: {
  signatureVerification: unknown;
  trustStores: readonly string[] | undefined;
  trustedIdentities: readonly string[] | undefined;
}): NotationTrustRules {
  const verification = parseSignatureVerification(input.signatureVerification);
  const stores = input.trustStores ?? [];
  const identities = input.trustedIdentities ?? [];
  if (verification.level === 'skip') {
    if (stores.length > 0 || identities.length > 0)
      fail('level skip verifies nothing, so it cannot have trustStores or trustedIdentities; remove them');
    return { ...verification, trustStores: [], trustedIdentities: [] };
  }
  if (stores.length === 0 || identities.length === 0)
    fail(`level ${verification.level} needs both trustStores and trustedIdentities`);
  return {
    ...verification,
    trustStores: parseTrustStoreReferences(stores),
    trustedIdentities: parseTrustedIdentities(identities),
  };
}

const STATEMENT_FIELDS = [
  'name',
  'registryScopes',
  'signatureVerification',
  'trustStores',
  'trustedIdentities',
];

function parseStatement(value: unknown, index: number): TrustPolicyStatement {
  const at = `trust policy statement ${index + 1}`;
  if (!isObject(value)) fail(`${at} is not an object`);
  const fields = members(value, STATEMENT_FIELDS, at);
  const name = fields.name;
  if (typeof name !== 'string' || name === '') fail(`${at} has no name; every statement needs one`);
  const where = `trust policy statement ${JSON.stringify(name)}`;
  try {
    const scopes =
      stringList(fields.registryScopes, 'registryScopes', TRUST_POLICY_LIMITS.maxRegistryScopes) ?? [];
    if (scopes.length === 0) fail('registryScopes is missing or empty; it needs at least one scope');
    if (scopes.includes(GLOBAL_SCOPE) && scopes.length > 1)
      fail('registryScopes uses the global scope "*", which cannot be combined with other scopes');
    for (const scope of scopes) {
      const problem = registryScopeProblem(scope);
      if (problem) fail(problem);
    }
    const rules = parseTrustRules({
      signatureVerification: fields.signatureVerification,
      trustStores: stringList(fields.trustStores, 'trustStores', TRUST_POLICY_LIMITS.maxTrustStores),
      trustedIdentities: stringList(
        fields.trustedIdentities,
        'trustedIdentities',
        TRUST_POLICY_LIMITS.maxTrustedIdentities,
      ),
    });
    if (rules.level === 'skip' && scopes.includes(GLOBAL_SCOPE))
      fail('level skip cannot be used with the global scope "*"');
    return { name, registryScopes: scopes, ...rules };
  } catch (error) {
    if (isRuleError(error)) fail(`${where}: ${error.message}`, error);
    throw error;
  }
}

/**
 * Parses a Notary Project OCI trust policy document (`trustpolicy.oci.json`, or the older
 * `trustpolicy.json`) with every rule of the specification and of notation: version `1.0`, at least
 * one statement, unique statement names, valid registry scopes with `*` alone and only in one
 * statement, each scope in one statement only, and each statement's rules (see `parseTrustRules`).
 * Errors are VerifyError NOTATION_TRUST_POLICY_INVALID naming `source` and the rule.
 */
export function parseTrustPolicyDocument(bytes: Uint8Array | string, source: string): TrustPolicyDocument {
  const invalid = (message: string, cause?: unknown) =>
    new VerifyError(
      'NOTATION_TRUST_POLICY_INVALID',
      `${source}: ${message}`,
      cause === undefined ? undefined : { cause },
    );
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.byteLength;
  if (size > TRUST_POLICY_LIMITS.maxBytes)
    throw invalid(`the trust policy is ${size} bytes; the limit is ${TRUST_POLICY_LIMITS.maxBytes}`);
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw invalid(`the trust policy is not valid JSON (${(cause as Error).message})`, cause);
  }
  try {
    if (!isObject(json)) fail('the trust policy is not a JSON object');
    const fields = members(json, ['version', 'trustPolicies'], 'the trust policy');
    if (fields.version === undefined || fields.version === '')
      fail('the trust policy has no version; it must be "1.0"');
    if (fields.version !== '1.0')
      fail(`the trust policy has version ${JSON.stringify(fields.version)}; the supported version is "1.0"`);
    const list = fields.trustPolicies;
    if (!Array.isArray(list) || list.length === 0)
      fail('the trust policy has no trust policy statements (trustPolicies)');
    if (list.length > TRUST_POLICY_LIMITS.maxStatements)
      fail(
        `the trust policy has ${list.length} statements; the limit is ${TRUST_POLICY_LIMITS.maxStatements}`,
      );
    const statements = list.map((value, index) => parseStatement(value, index));
    const names = new Set<string>();
    const scopeOwners = new Map<string, string>();
    for (const statement of statements) {
      if (names.has(statement.name))
        fail(
          `more than one trust policy statement is named ${JSON.stringify(statement.name)}; names must be unique`,
        );
      names.add(statement.name);
      for (const scope of statement.registryScopes) {
        const key = canonicalScope(scope);
        const owner = scopeOwners.get(key);
        if (owner === statement.name)
          fail(
            `trust policy statement ${JSON.stringify(owner)} lists registry scope ${JSON.stringify(scope)} twice`,
          );
        if (owner !== undefined)
          fail(
            scope === GLOBAL_SCOPE
              ? `statements ${JSON.stringify(owner)} and ${JSON.stringify(statement.name)} both use the global scope "*"; only one may`
              : `registry scope ${JSON.stringify(scope)} is in statements ${JSON.stringify(owner)} and ${JSON.stringify(statement.name)}; a scope belongs to one statement only`,
          );
        scopeOwners.set(key, statement.name);
      }
    }
    return { version: '1.0', statements, source };
  } catch (error) {
    if (isRuleError(error)) throw invalid(error.message, error);
    throw error;
  }
}
