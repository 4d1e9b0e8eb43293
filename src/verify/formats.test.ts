/** The format and kind declarations agree with the code that implements them. */
import { describe, expect, it } from 'vitest';
import { FORMAT_MODULES, WRITABLE_FORMATS } from './format-modules.js';
import { isSignatureFormatName, SIGNATURE_FORMAT_NAMES, SIGNATURE_FORMATS } from './formats.js';
import { AUTHORITY_KIND_NAMES, AUTHORITY_KINDS, formatsRead, isVerifyingKind, readsFormat } from './kinds.js';

describe('signature formats and authority kinds', () => {
  it('every format a kind reads has a check for that kind in its reader, and no other', async () => {
    for (const format of SIGNATURE_FORMAT_NAMES) {
      const reader = await FORMAT_MODULES[format].reader();
      const readers = AUTHORITY_KIND_NAMES.filter((kind) => readsFormat(kind, format));
      expect(Object.keys(reader.checks).sort(), format).toEqual([...readers].sort());
    }
  });

  it('every kind reads only declared formats, and only static reads none', () => {
    for (const kind of AUTHORITY_KIND_NAMES) {
      for (const format of AUTHORITY_KINDS[kind].formats) expect(isSignatureFormatName(format)).toBe(true);
      expect(isVerifyingKind(kind), kind).toBe(kind !== 'static');
    }
  });

  it('reads the legacy tags before the bundle referrers, and only the signatureFormat asked for', () => {
    expect(formatsRead('key')).toEqual(['legacy', 'bundle']);
    expect(formatsRead('keyless', 'bundle')).toEqual(['bundle']);
    expect(formatsRead('static')).toEqual([]);
  });

  it('offers to write the formats that have a writer, each of which signs', async () => {
    expect(WRITABLE_FORMATS).toEqual(['legacy', 'bundle']);
    for (const format of WRITABLE_FORMATS) {
      const writer = await FORMAT_MODULES[format].writer?.();
      expect(typeof writer?.sign, format).toBe('function');
      expect(typeof writer?.attest, format).toBe(
        SIGNATURE_FORMATS[format].attestations ? 'function' : 'undefined',
      );
    }
  });

  it('knows a format name only when it is declared', () => {
    expect(isSignatureFormatName('legacy')).toBe(true);
    expect(isSignatureFormatName('notary')).toBe(false);
    expect(isSignatureFormatName('constructor')).toBe(false);
  });
});
