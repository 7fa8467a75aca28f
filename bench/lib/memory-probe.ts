// Preloaded into a broker (NODE_OPTIONS=--import <this file>, with
// RBUS_MEMORY_PROBE=<dir>) by bench/footprint.ts: writes the process's
// memory as Node and V8 count it to <dir>/mem-<pid>.json every second, and
// on SIGUSR1 the same around a forced full GC (mem-<pid>.gc.json), which
// tells memory still held from memory only waiting for a collection.
import * as fs from "node:fs";
import * as path from "node:path";
import * as v8 from "node:v8";
import * as vm from "node:vm";

export interface MemorySample {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  arrayBuffers: number;
  /** MiB resident per mapping kind in /proc/self/smaps: the node binary, glibc's heap, anonymous memory (V8's heap, buffers). */
  mappings: Record<string, number>;
}

const MiB = 2 ** 20;

export function sample(): MemorySample {
  const m = process.memoryUsage();
  const mappings: Record<string, number> = {};
  let name = "";
  for (const line of fs.readFileSync("/proc/self/smaps", "utf8").split("\n")) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
      const file = line.split(/\s+/).slice(5).join(" ");
      name = file === "" ? "[anon]" : /\.so(\.|$)/.test(file) ? "shared libraries" : file;
    } else if (line.startsWith("Rss:")) mappings[name] = (mappings[name] ?? 0) + Number(line.split(/\s+/)[1]) / 1024;
  }
  return { rss: m.rss / MiB, heapTotal: m.heapTotal / MiB, heapUsed: m.heapUsed / MiB, arrayBuffers: m.arrayBuffers / MiB, mappings };
}

const dir = process.env.RBUS_MEMORY_PROBE;
if (dir && process.argv.includes("broker")) {
  const file = (suffix: string) => path.join(dir, `mem-${process.pid}${suffix}.json`);
  const write = (suffix: string, data: unknown) => fs.writeFileSync(file(suffix), JSON.stringify(data));
  setInterval(() => write("", sample()), 1000).unref();
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  process.on("SIGUSR1", () => {
    const before = sample();
    gc();
    gc();
    write(".gc", { before, after: sample() });
  });
}
