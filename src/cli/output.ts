/** Writes and waits until the stream has taken it, so that exiting right after loses nothing. */
export function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (text === '') {
      resolve();
      return;
    }
    stream.write(text, () => resolve());
  });
}

export function printJson(value: unknown): Promise<void> {
  return write(process.stdout, `${JSON.stringify(value, null, 2)}\n`);
}

export function printLines(
  lines: readonly string[],
  stream: NodeJS.WritableStream = process.stdout,
): Promise<void> {
  return write(stream, lines.length ? `${lines.join('\n')}\n` : '');
}

export type OutputFormat = 'text' | 'json';
