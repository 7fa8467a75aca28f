// The Plots view, with uPlot: produce and consume rates, lag per consumer
// group and replication lag per slave, over the last 10 minutes, redrawn
// with each new sample. A plot is rebuilt only when its series change (a
// new group, a new slave); otherwise its data is replaced in place.
import uPlot from "uplot";
import type { Sample } from "../../api.js";
import { bytes, h } from "../dom.js";
import { groupLag, messageRates, replicationLag, type Series } from "../rates.js";

const WINDOW_S = 600;
const HEIGHT = 200;
const PALETTE = ["#3b82f6", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#ec4899", "#14b8a6", "#eab308"];

interface PlotSpec {
  key: string;
  title: string;
  unit: (v: number) => string;
  /** Counts of whole things (messages, bytes): no ticks between integers. */
  whole: boolean;
  series: (samples: readonly Sample[]) => Series;
  empty: string;
}

const SPECS: PlotSpec[] = [
  { key: "rates", title: "Produce and consume rates (msg/s)", unit: (v) => v.toFixed(v < 10 ? 1 : 0), whole: false, series: messageRates, empty: "Waiting for two samples." },
  { key: "group-lag", title: "Lag per consumer group (messages)", unit: (v) => String(Math.round(v)), whole: true, series: groupLag, empty: "No consumer group has committed an offset yet." },
  { key: "replication-lag", title: "Replication lag per slave (bytes)", unit: bytes, whole: true, series: replicationLag, empty: "No slave reports a lag." },
];

interface Plot {
  box: HTMLElement;
  chart: uPlot | null;
  names: string;
}

export class PlotsView {
  private readonly plots = new Map<string, Plot>();

  constructor(el: HTMLElement) {
    for (const spec of SPECS) {
      const box = h("div", { class: "plot-box" });
      el.append(h("figure", { class: "plot", "data-plot": spec.key }, h("figcaption", {}, spec.title), box));
      this.plots.set(spec.key, { box, chart: null, names: "" });
    }
    new ResizeObserver(() => this.resize()).observe(el);
  }

  /** Redraws from the samples; does nothing while the view is hidden (uPlot needs a width). */
  draw(samples: readonly Sample[]): void {
    const width = this.width();
    if (!width) return;
    for (const spec of SPECS) this.drawOne(spec, samples, width);
  }

  private drawOne(spec: PlotSpec, samples: readonly Sample[], width: number): void {
    const plot = this.plots.get(spec.key)!;
    const series = spec.series(samples);
    if (!series.names.length || series.data[0].length < 2) {
      plot.chart?.destroy();
      plot.chart = null;
      plot.names = "";
      plot.box.replaceChildren(h("p", { class: "empty plot-empty" }, spec.empty));
      return;
    }
    const names = series.names.join("\n");
    if (plot.chart && plot.names === names) {
      plot.chart.setData(series.data as uPlot.AlignedData, false);
      plot.chart.setScale("x", xRange(samples));
      return;
    }
    plot.chart?.destroy();
    plot.box.replaceChildren();
    plot.names = names;
    plot.chart = new uPlot(options(spec, series.names, width), series.data as uPlot.AlignedData, plot.box);
    plot.chart.setScale("x", xRange(samples));
  }

  /** The plots' boxes are as wide as the view less the figures' padding; all alike. */
  private width(): number {
    return Math.floor(this.plots.values().next().value?.box.clientWidth ?? 0);
  }

  private resize(): void {
    const width = this.width();
    if (width <= 0) return;
    for (const p of this.plots.values()) p.chart?.setSize({ width, height: HEIGHT });
  }
}

/** 1, 2, 5, 10, 20, 50, …: tick steps for whole counts. */
const WHOLE_STEPS = Array.from({ length: 36 }, (_, i) => [1, 2, 5][i % 3]! * 10 ** Math.floor(i / 3));

/** "14:05" on the minute, "14:05:30" between: the axis needs no date for a 10-minute window. */
function timeOfDay(seconds: number): string {
  const d = new Date(seconds * 1000);
  const hm = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
  return d.getSeconds() ? `${hm}:${String(d.getSeconds()).padStart(2, "0")}` : hm;
}

/** The last 10 minutes up to the newest sample, so the plot scrolls and does not rescale as it fills. */
function xRange(samples: readonly Sample[]): { min: number; max: number } {
  const max = (samples.at(-1)?.at ?? Date.now()) / 1000;
  return { min: max - WINDOW_S, max };
}

function options(spec: PlotSpec, names: string[], width: number): uPlot.Options {
  const css = getComputedStyle(document.documentElement);
  const ink = css.getPropertyValue("--muted").trim() || "#888";
  const grid = css.getPropertyValue("--grid").trim() || "rgba(128,128,128,.2)";
  const lines = { stroke: ink, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  const x: uPlot.Axis = { ...lines, space: 70, values: (_u, ticks) => ticks.map(timeOfDay) };
  const y: uPlot.Axis = { ...lines, size: 64, values: (_u, ticks) => ticks.map(spec.unit), ...(spec.whole ? { incrs: WHOLE_STEPS } : {}) };
  return {
    width,
    height: HEIGHT,
    scales: { x: { time: true, auto: false }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
    axes: [x, y],
    series: [
      {},
      ...names.map((label, i) => ({
        label,
        stroke: PALETTE[i % PALETTE.length]!,
        width: 2,
        points: { show: false },
        value: (_u: uPlot, v: number | null) => (v === null ? "–" : spec.unit(v)),
      })),
    ],
    cursor: { drag: { x: false, y: false } },
  };
}
