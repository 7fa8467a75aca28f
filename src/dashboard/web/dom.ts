// Small builders for the page's elements: the views are drawn with plain
// DOM calls, and these keep them short.
type Attrs = Record<string, string | number | boolean | undefined>;
type Child = Node | string | number | null | undefined | false;

function fill(el: Element, attrs: Attrs, children: Child[]): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "object" ? c : String(c));
  }
}

/** An HTML element: h("td", {class: "role"}, "master"). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  fill(el, attrs, children);
  return el;
}

const SVG = "http://www.w3.org/2000/svg";

/** An SVG element, with the same shape as h(). */
export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  fill(el, attrs, children);
  return el;
}

/** hh:mm:ss of an epoch-ms time, in the viewer's zone. */
export function clock(at: number): string {
  return new Date(at).toLocaleTimeString([], { hour12: false });
}

/** "3 s ago", "4 min ago": how long since an epoch-ms time. */
export function ago(at: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

/** 1234567 → "1.2 MB"; for byte counts in tables. */
export function bytes(n: number | undefined): string {
  if (n === undefined) return "–";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i ? v.toFixed(1) : v} ${units[i]}`;
}

/**
 * Makes a parent hold exactly these children in this order, touching the
 * DOM only when it differs: moving an element restarts its animations.
 */
export function placeInOrder(parent: Element, children: readonly Element[]): void {
  const now = parent.children;
  if (now.length === children.length && children.every((c, i) => now[i] === c)) return;
  parent.replaceChildren(...children);
}
