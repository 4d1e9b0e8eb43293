/** Whether `value` parses as an absolute URL (a scheme and what follows it). */
export function isAbsoluteUrl(value: string): boolean {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}
