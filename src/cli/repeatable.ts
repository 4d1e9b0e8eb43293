/** A repeatable flag's values, in order: `--policy a --policy b`. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Comma-separated and repeatable: `--warn-namespaces dev,team-* --warn-namespaces staging`. */
export function collectList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((entry) => entry.trim())];
}
