// A user's project in a temporary folder: test/library/fixture/, with
// rocketbus installed from its packed tarball (npm pack: what npm publish
// would ship, so `files` and `exports` are what is tested) and rocketbus's
// own dependencies linked from this checkout, so nothing needs the network.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The checkout (this file runs from dist/test/library/). */
export const root = fileURLToPath(new URL("../../../", import.meta.url));
const fixture = join(root, "test", "library", "fixture");
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");

export interface Outcome {
  code: number | null;
  output: string;
}

/** Packs this checkout and installs it, with the fixture's files, in a new temporary folder; returns the folder. */
export function packedProject(): string {
  // dist/ holds the compiled code (make build); the entry's declarations come from tsconfig.build.json
  execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, stdio: "pipe" });
  const dir = mkdtempSync(join(tmpdir(), "rbus-user-"));
  const packed = execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const tarball = join(dir, (JSON.parse(packed) as Array<{ filename: string }>)[0]!.filename);
  const installed = join(dir, "node_modules", "rocketbus");
  mkdirSync(installed, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", installed, "--strip-components=1"]);
  for (const file of ["package.json", "tsconfig.json"]) copyFileSync(join(fixture, file), join(dir, file));
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  for (const dep of [...Object.keys(pkg.dependencies), "@types/node"]) {
    const link = join(dir, "node_modules", dep);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(root, "node_modules", dep), link, "dir");
  }
  return dir;
}

/** `tsc --strict` over `source` as the project's example.ts. */
export function typecheck(dir: string, source: string): Outcome {
  writeFileSync(join(dir, "example.ts"), source);
  const r = spawnSync(process.execPath, [tsc, "--strict", "-p", dir], { cwd: dir, encoding: "utf8" });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Runs an ES module's source with node in the project (bare imports resolve from its node_modules). */
export function runModule(dir: string, source: string): Outcome {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", source], { cwd: dir, encoding: "utf8", timeout: 20_000 });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

/** The first ```ts block of a README section. */
export function typescriptBlock(section: string): string {
  const m = /^```ts\n([\s\S]*?)^```$/m.exec(section);
  if (!m) throw new Error(`no \`\`\`ts block in:\n${section}`);
  return m[1]!;
}
