/**
 * Offsets and positions in a file's text. Lines break at `\r\n`, `\r` or `\n`, the same rule the
 * Dockerfile parser's text document uses, so that its (line, character) positions map to offsets here.
 * Offsets and characters are UTF-16 code units, as everywhere in JavaScript strings.
 */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 13 /* \r */) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      } else if (ch === 10 /* \n */) {
        this.starts.push(i + 1);
      }
    }
  }

  /** Offset of a zero-based (line, character) position. */
  offsetAt(position: { line: number; character: number }): number {
    const start = this.starts[position.line];
    if (start === undefined) return this.text.length;
    return Math.min(start + position.character, this.text.length);
  }

  /** One-based line and column of an offset. */
  positionOf(offset: number): { line: number; column: number } {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.starts[mid] as number) <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: offset - (this.starts[low] as number) + 1 };
  }
}
