const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * An RFC 3339 date-time as Go's `time.Time` JSON decoding reads it (what notation's JWS headers hold,
 * e.g. `2024-06-18T14:29:33+08:00`), or undefined when the text is not one. Calendar fields are
 * range-checked so that `2023-02-30` is refused rather than rolled over. Sub-millisecond digits are
 * dropped (a Date holds milliseconds).
 */
export function parseRfc3339(text: string): Date | undefined {
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return undefined;
  let offsetMinutes = 0;
  if (match[8] !== 'Z') {
    const hours = Number(match[10]);
    const minutes = Number(match[11]);
    if (hours > 23 || minutes > 59) return undefined;
    offsetMinutes = (match[9] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  const millis = match[7] ? Math.floor(Number(`0${match[7]}`) * 1000) : 0;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC maps years 0–99 to 1900–1999; set the year explicitly for the (absurd but valid) early years.
  const date = new Date(utc);
  if (year < 100) date.setUTCFullYear(year);
  return new Date(date.getTime() - offsetMinutes * 60_000);
}
