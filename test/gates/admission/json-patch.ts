/**
 * A small RFC 6902 applier (add, remove, replace, test) for checking patches the way the API server
 * applies them: on a deep copy, failing on a path that does not exist.
 */
export interface PatchOperation {
  op: string;
  path: string;
  value?: unknown;
}

function tokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`invalid pointer ${pointer}`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function parentOf(root: unknown, path: string): { parent: Record<string, unknown> | unknown[]; key: string } {
  const parts = tokens(path);
  const key = parts.pop();
  if (key === undefined) throw new Error('cannot patch the root');
  let current: unknown = root;
  for (const part of parts) {
    if (Array.isArray(current)) current = current[Number(part)];
    else if (typeof current === 'object' && current !== null)
      current = (current as Record<string, unknown>)[part];
    else current = undefined;
    if (current === undefined) throw new Error(`path ${path} does not exist`);
  }
  if (typeof current !== 'object' || current === null) throw new Error(`path ${path} does not exist`);
  return { parent: current as Record<string, unknown> | unknown[], key };
}

export function applyJsonPatch<T>(document: T, operations: readonly PatchOperation[]): T {
  const result = structuredClone(document);
  for (const operation of operations) {
    const { parent, key } = parentOf(result, operation.path);
    if (Array.isArray(parent)) {
      const index = key === '-' ? parent.length : Number(key);
      if (!Number.isInteger(index) || index < 0 || index > parent.length) throw new Error(`bad index ${key}`);
      if (operation.op === 'add') parent.splice(index, 0, operation.value);
      else if (operation.op === 'remove') parent.splice(index, 1);
      else if (operation.op === 'replace') {
        if (index >= parent.length) throw new Error(`path ${operation.path} does not exist`);
        parent[index] = operation.value;
      } else if (operation.op === 'test') {
        if (JSON.stringify(parent[index]) !== JSON.stringify(operation.value)) throw new Error('test failed');
      } else throw new Error(`unsupported op ${operation.op}`);
      continue;
    }
    const exists = Object.hasOwn(parent, key);
    if (operation.op === 'add') parent[key] = operation.value;
    else if (operation.op === 'remove' || operation.op === 'replace') {
      if (!exists) throw new Error(`path ${operation.path} does not exist`);
      if (operation.op === 'remove') delete parent[key];
      else parent[key] = operation.value;
    } else if (operation.op === 'test') {
      if (JSON.stringify(parent[key]) !== JSON.stringify(operation.value)) throw new Error('test failed');
    } else throw new Error(`unsupported op ${operation.op}`);
  }
  return result;
}

/** Decodes an AdmissionResponse's base64 `patch`. */
export function decodePatch(patch: string): PatchOperation[] {
  return JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as PatchOperation[];
}
