// A flame graph of a V8 .cpuprofile as a self-contained SVG: one box per
// call stack, as wide as the time sampled in it and everything it called,
// callers above callees (the icicle orientation of Chrome's DevTools, so
// the widest boxes are at the top however deep the stacks go). Idle time
// is left out, so the width is the process's busy time, and stacks under
// a pixel wide are not drawn. Hovering a box shows its function, file and
// time (an SVG <title>); nothing is loaded from elsewhere, so the file can
// sit in docs/ and be opened offline.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

interface Frame {
  name: string;
  where: string;
  /** µs in this stack and every stack above it. */
  total: number;
  children: Frame[];
}

const root = fileURLToPath(new URL("../../../", import.meta.url));
const WIDTH = 1200;
const ROW = 16;
const CHAR_PX = 6.4;
const HIDDEN = new Set(["(idle)", "(root)"]);
/** Narrower stacks are left out (module loading at start makes deep towers a sample wide). */
const MIN_PX = 1;
const MAX_DEPTH = 80;
const TOP = 24;

function where(f: ProfileNode["callFrame"]): string {
  if (!f.url) return "";
  return `${f.url.replace(/^file:\/\//, "").replace(root, "")}:${f.lineNumber + 1}`;
}

/** The profile's call tree with each node's total time; idle and the root's own time dropped. */
function frames(p: CpuProfile): Frame {
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const build = (n: ProfileNode): Frame => {
    const children = (n.children ?? []).map((id) => byId.get(id)!).filter((c) => !HIDDEN.has(c.callFrame.functionName)).map(build);
    const own = HIDDEN.has(n.callFrame.functionName) ? 0 : (self.get(n.id) ?? 0);
    const f: Frame = { name: n.callFrame.functionName || "(anonymous)", where: where(n.callFrame), total: own, children };
    for (const c of children) f.total += c.total;
    children.sort((a, b) => a.name.localeCompare(b.name));
    return f;
  };
  return build(p.nodes[0]!);
}

/** Warm colours for our own code, cool for Node's, green for the NATS client, red for the collector. */
function colour(f: Frame, i: number): string {
  const shade = (h: number, s: number, l: number) => `hsl(${h + (i % 5) * 4},${s}%,${l + (i % 3) * 4}%)`;
  if (f.name.startsWith("(garbage")) return shade(0, 70, 60);
  if (/(^|\/)dist\/(src|actors|bench)\//.test(f.where)) return shade(28, 85, 58);
  if (f.where.includes("@nats-io")) return shade(120, 45, 55);
  if (f.where.includes("node_modules")) return shade(270, 40, 65);
  return shade(205, 35, 68);
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function flameGraphSvg(profileFile: string, title: string): string {
  const top = frames(JSON.parse(readFileSync(profileFile, "utf8")) as CpuProfile);
  const busy = top.total || 1;
  const boxes: string[] = [];
  let depth = 0;
  let count = 0;
  const draw = (f: Frame, x: number, level: number) => {
    const w = (f.total / busy) * WIDTH;
    if (w < MIN_PX || level >= MAX_DEPTH) return;
    depth = Math.max(depth, level);
    const label = `${f.name}${f.where ? ` (${f.where})` : ""} — ${(f.total / 1000).toFixed(1)} ms, ${((f.total / busy) * 100).toFixed(1)} %`;
    const fits = Math.floor((w - 4) / CHAR_PX);
    const text = fits >= 3 ? (f.name.length <= fits ? f.name : f.name.slice(0, fits - 1) + "…") : "";
    boxes.push(`<g transform="translate(0,${TOP + level * ROW})"><title>${esc(label)}</title><rect x="${x.toFixed(1)}" width="${Math.max(0.3, w - 0.5).toFixed(1)}" height="${ROW - 1}" fill="${colour(f, count++)}"/>${text ? `<text x="${(x + 2).toFixed(1)}" dy="11">${esc(text)}</text>` : ""}</g>`);
    let cx = x;
    for (const c of f.children) {
      draw(c, cx, level + 1);
      cx += (c.total / busy) * WIDTH;
    }
  };
  let x = 0;
  for (const c of top.children) {
    draw(c, x, 0);
    x += (c.total / busy) * WIDTH;
  }
  const height = TOP + (depth + 1) * ROW + 8;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="monospace" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fdfdf8"/>`,
    `<text x="4" y="16" font-size="13">${esc(title)} — ${(busy / 1000).toFixed(0)} ms busy (idle left out); hover a box for its function and time</text>`,
    ...boxes,
    "</svg>",
    "",
  ].join("\n");
}
