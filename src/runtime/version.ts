// Rocketbus's own version, from package.json, read once: service discovery
// reports it. Compiled code sits in dist/src/runtime, three levels below it.
import { readFileSync } from "node:fs";

function readVersion(): string {
  for (const rel of ["../../../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "rocketbus" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // not there: try the next level
    }
  }
  return "0.0.0";
}

export const VERSION = readVersion();
