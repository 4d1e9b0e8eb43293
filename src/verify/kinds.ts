/**
 * The kinds of authority a policy names, declared once: what each reads. ClusterImagePolicy
 * compilation (exactly one kind per authority; a `signatureFormat` the kind cannot read is a
 * load-time error), the lookup order and the messages read this table.
 *
 * A new kind provides: its authority type in `VerifyingAuthorities` (`authority.ts`), an entry here
 * with the formats it reads in lookup order, a `checks[kind]` in the reader of each of those formats
 * (`verify/<format>/index.ts`), and, in the policy layer, how a ClusterImagePolicy spells it
 * (`policy/compile/authorities.ts`) and how its trust material is built (`policy/engine/kinds.ts`).
 * A `notation` kind reads `['notation']` only, and the key and keyless kinds never read it.
 */
import type { SignatureFormatName } from './formats.js';

export interface KindDeclaration {
  /**
   * The formats it reads, in lookup order: the next is read only when nothing verified in the ones
   * before (the verdict never depends on the order; it saves requests). Empty: it verifies nothing.
   */
  formats: readonly SignatureFormatName[];
  /** Whether it may check attestations (`attestations:` on the authority). */
  attestations: boolean;
}

export const AUTHORITY_KINDS = {
  key: { formats: ['legacy', 'bundle'], attestations: true },
  keyless: { formats: ['legacy', 'bundle'], attestations: true },
  static: { formats: [], attestations: false },
} as const satisfies Record<string, KindDeclaration>;

export type AuthorityKindName = keyof typeof AUTHORITY_KINDS;

/** The kinds that verify signatures: every kind that reads a format. */
export type VerifyingKindName = {
  [K in AuthorityKindName]: (typeof AUTHORITY_KINDS)[K]['formats'] extends readonly [] ? never : K;
}[AuthorityKindName];

export const AUTHORITY_KIND_NAMES = Object.keys(AUTHORITY_KINDS) as AuthorityKindName[];

export function isVerifyingKind(kind: AuthorityKindName): kind is VerifyingKindName {
  return AUTHORITY_KINDS[kind].formats.length > 0;
}

/** Whether an authority of `kind` reads `format` (a `signatureFormat` it cannot read is refused). */
export function readsFormat(kind: AuthorityKindName, format: SignatureFormatName): boolean {
  return (AUTHORITY_KINDS[kind].formats as readonly SignatureFormatName[]).includes(format);
}

/** The formats an authority of `kind` reads, in lookup order; only `signatureFormat` when it names one. */
export function formatsRead(
  kind: AuthorityKindName,
  signatureFormat?: SignatureFormatName,
): readonly SignatureFormatName[] {
  const formats = AUTHORITY_KINDS[kind].formats as readonly SignatureFormatName[];
  return signatureFormat === undefined ? formats : formats.filter((format) => format === signatureFormat);
}
