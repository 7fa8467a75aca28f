// Fault injection for store tests: replaces a node:fs function for every
// importer (ESM namespaces of built-ins follow the CommonJS object after
// syncBuiltinESMExports), so a write can fail with ENOSPC, EMFILE or EIO
// exactly where a test wants it.
import fsCjs from "node:fs";
import { syncBuiltinESMExports } from "node:module";

type FsFunctions = "openSync" | "writeSync" | "ftruncateSync" | "mkdirSync" | "rmSync" | "renameSync";

export function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected`), { code });
}

/**
 * Makes `name` throw `code` when `when(callNumber, ...args)` says so
 * (calls counted from 1 after patching). Returns the undo.
 */
export function failFs<K extends FsFunctions>(
  name: K,
  code: string,
  when: (call: number, ...args: Parameters<(typeof fsCjs)[K]>) => boolean,
): () => void {
  const real = fsCjs[name] as (...args: unknown[]) => unknown;
  let calls = 0;
  const patched = (...args: unknown[]) => {
    if (when(++calls, ...(args as Parameters<(typeof fsCjs)[K]>))) throw errno(code);
    return real.apply(fsCjs, args);
  };
  (fsCjs as unknown as Record<string, unknown>)[name] = patched;
  syncBuiltinESMExports();
  return () => {
    (fsCjs as unknown as Record<string, unknown>)[name] = real;
    syncBuiltinESMExports();
  };
}
