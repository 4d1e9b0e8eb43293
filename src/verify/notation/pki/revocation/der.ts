/**
 * Just enough DER to walk a long list without parsing it: the tag, where the value starts and
 * where the element ends. pkijs and asn1js build several objects per ASN.1 node, which costs
 * seconds (and blocks the event loop) on a CRL with a hundred thousand entries; walking its entry
 * list with this and parsing only the few entries that matter keeps a large CRL cheap. Everything
 * small is still parsed by asn1js.
 */
export interface Element {
  /** The identifier octet (single-octet tags only: all a CRL uses). */
  tag: number;
  /** Where the element starts (its tag). */
  offset: number;
  /** Where its value starts. */
  start: number;
  /** Where it ends. */
  end: number;
}

export const TAG = {
  integer: 0x02,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  context0: 0xa0,
} as const;

/** The element at `offset`, which must end within `limit`; throws on anything that is not DER. */
export function element(bytes: Uint8Array, offset: number, limit = bytes.byteLength): Element {
  if (offset + 2 > limit) throw new Error(`truncated at byte ${offset}`);
  const tag = bytes[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new Error(`multi-octet tag at byte ${offset}`);
  let length = bytes[offset + 1] as number;
  let start = offset + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0) throw new Error(`indefinite length at byte ${offset} (not DER)`);
    if (octets > 4 || start + octets > limit) throw new Error(`bad length at byte ${offset}`);
    length = 0;
    for (let index = 0; index < octets; index++) length = length * 256 + (bytes[start + index] as number);
    start += octets;
  }
  const end = start + length;
  if (end > limit) throw new Error(`element at byte ${offset} runs past its container`);
  return { tag, offset, start, end };
}

/** The elements inside a constructed element, in order. */
export function* children(bytes: Uint8Array, parent: Element): Generator<Element> {
  for (let at = parent.start; at < parent.end; ) {
    const child = element(bytes, at, parent.end);
    yield child;
    at = child.end;
  }
}

export function expectTag(found: Element, tag: number, what: string): Element {
  if (found.tag !== tag)
    throw new Error(`${what} has tag 0x${found.tag.toString(16)}, not 0x${tag.toString(16)}`);
  return found;
}
