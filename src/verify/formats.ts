/**
 * The signature formats vouch reads, declared once. ClusterImagePolicy `signatureFormat`, the lookup
 * order (each authority kind reads its formats in the order `kinds.ts` lists them), `vouch sign
 * --format` and the messages that name a format all read this table.
 *
 * What a format must provide:
 * - `src/signature/<format>/` — where its signatures are found and how they are parsed (and, if vouch
 *   can write it, `write.ts` exporting a `FormatWriter`). Found either in tags computed from the image
 *   digest (cosign's `sha256-<hex>.sig`) or among the image's OCI referrers, picked by `artifactType`
 *   out of the one listing `ImageArtefacts.referrers()` fetches per image and shares with every format
 *   (a format never lists referrers itself). Everything is fetched through `ImageArtefacts` (once per
 *   image, size-capped, under the image's deadline; `once(key, …)` keeps what the format found);
 *   content that is not what the format expects is a `SignatureError`, a registry that fails to
 *   answer a `RegistryError`.
 * - `src/verify/<format>/index.ts` — exports `reader: FormatReader` (`reader.ts`): `find` returns the
 *   candidates for signatures or attestations, loaded lazily (a listing that fails rejects: a registry
 *   failure, never "not signed"); `lookupStep` names the step in messages; `checks[kind]` judges one
 *   candidate against an authority of each kind that reads the format, returning a `SignatureCheck`:
 *   verified or a reason, `failure: 'registry' | 'timeout'` when a fetch went unanswered, the
 *   transparency-log status, `warnings` for checks that were only logged, and who signed
 *   (`key`, `identity`, or `signer` in words).
 * - one entry below, one line in `format-modules.ts` (how to load its two folders), and the format
 *   named in the `formats` of each kind in `kinds.ts` that reads it.
 *
 * Notary Project signatures, the next format, fit as: found among the referrers (artifactType
 * `application/vnd.cncf.notary.signature`, which the listing also reports for older signers that set
 * it as the config media type), one candidate per signature manifest whose one layer is the envelope
 * (`application/jose+json` or `application/cose`); read only by the `notation` kind, whose check
 * verifies the envelope's X.509 chain against its trust stores and identities and returns the checks
 * its verification level only logs as `warnings`. A cold check then costs the tag resolve, the
 * referrers listing, the signature manifest and the envelope blob — no `.sig` tag is read, because no
 * kind that reads the legacy format is asked.
 */

export interface FormatDeclaration {
  /** How messages and help texts name it. */
  description: string;
  /** Where its signatures live: cosign's tags computed from the digest, or the image's OCI referrers. */
  foundIn: 'tags' | 'referrers';
  /** Whether it carries attestations (in-toto statements) besides signatures. */
  attestations: boolean;
}

export const SIGNATURE_FORMATS = {
  legacy: { description: 'cosign .sig/.att tags', foundIn: 'tags', attestations: true },
  bundle: {
    description: 'Sigstore bundles attached as OCI referrers',
    foundIn: 'referrers',
    attestations: true,
  },
} as const satisfies Record<string, FormatDeclaration>;

export type SignatureFormatName = keyof typeof SIGNATURE_FORMATS;

export const SIGNATURE_FORMAT_NAMES = Object.keys(SIGNATURE_FORMATS) as SignatureFormatName[];

export function isSignatureFormatName(value: unknown): value is SignatureFormatName {
  return typeof value === 'string' && Object.hasOwn(SIGNATURE_FORMATS, value);
}
