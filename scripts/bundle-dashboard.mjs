// Bundles the dashboard page (src/dashboard/web/) into dist/dashboard/:
// app.js and app.css with everything they use (uPlot included), and
// index.html. The page must work offline, so the output is checked for
// any address of another origin. Quiet unless something is wrong.
import { build } from "esbuild";
import { copyFile, mkdir, readFile } from "node:fs/promises";

const web = new URL("../src/dashboard/web/", import.meta.url);
const out = new URL("../dist/dashboard/", import.meta.url);
await mkdir(out, { recursive: true });

const result = await build({
  entryPoints: { app: new URL("main.ts", web).pathname },
  outdir: out.pathname,
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2022",
  platform: "browser",
  sourcemap: false,
  legalComments: "none",
  logLevel: "warning",
  metafile: false,
});
if (result.errors.length) process.exit(1);
await copyFile(new URL("index.html", web), new URL("index.html", out));

// Nothing may come from elsewhere: no url(http…), no //host imports or links.
const foreign = /(?:url\(\s*['"]?(?:https?:)?\/\/|(?:src|href)\s*=\s*['"]?(?:https?:)?\/\/|@import\s+(?:url\()?['"]?(?:https?:)?\/\/)/i;
for (const file of ["app.js", "app.css", "index.html"]) {
  const text = await readFile(new URL(file, out), "utf8");
  const m = foreign.exec(text);
  if (m) {
    console.error(`bundle-dashboard: dist/dashboard/${file} refers to another origin: ${text.slice(m.index, m.index + 80)}`);
    process.exit(1);
  }
}
