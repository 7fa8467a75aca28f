// Turns the server's samples (counters since each process started) into
// the series the plots draw. A counter lower than at the sample before
// means its process restarted and counts from 0 again, so the increase is
// the new value itself, as Prometheus's rate() takes it: never negative.
import type { Sample } from "../api.js";

/** Columns as uPlot takes them: times in seconds, then one array per series (null: no point). */
export interface Series {
  names: string[];
  data: [number[], ...Array<Array<number | null>>];
}

type Counter = "put" | "pull";

/** The increase of a counter between two readings, allowing for a restart in between. */
export function increase(before: number, after: number): number {
  return after >= before ? after - before : after;
}

/** Messages per second stored (put) and served (pull), over all brokers. */
export function messageRates(samples: readonly Sample[]): Series {
  const times: number[] = [];
  const put: Array<number | null> = [];
  const pull: Array<number | null> = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    const secs = (b.at - a.at) / 1000;
    if (secs <= 0) continue;
    times.push(b.at / 1000);
    put.push(sumIncrease(a, b, "put") / secs);
    pull.push(sumIncrease(a, b, "pull") / secs);
  }
  return { names: ["produce msg/s", "consume msg/s"], data: [times, put, pull] };
}

function sumIncrease(a: Sample, b: Sample, counter: Counter): number {
  let total = 0;
  for (const [node, now] of Object.entries(b.brokers)) {
    const before = a.brokers[node];
    // A broker first seen in this sample: its count so far is not a rate over this interval.
    if (before) total += increase(before[counter], now[counter]);
  }
  return total;
}

/** One series per key the samples have (a consumer group, a slave), by pick(). */
function byKey(samples: readonly Sample[], keys: (s: Sample) => Array<[string, number]>): Series {
  const names = [...new Set(samples.flatMap((s) => keys(s).map(([k]) => k)))].sort();
  const columns = names.map(() => [] as Array<number | null>);
  for (const s of samples) {
    const got = new Map(keys(s));
    names.forEach((n, i) => columns[i]!.push(got.get(n) ?? null));
  }
  return { names, data: [samples.map((s) => s.at / 1000), ...columns] };
}

/** Each consumer group's lag, in messages. */
export function groupLag(samples: readonly Sample[]): Series {
  return byKey(samples, (s) => Object.entries(s.groupLag));
}

/** Each slave's replication lag, in bytes (a replica while it is master has none). */
export function replicationLag(samples: readonly Sample[]): Series {
  return byKey(samples, (s) =>
    Object.entries(s.brokers).flatMap(([node, b]): Array<[string, number]> => (b.role !== "master" && b.lagBytes !== undefined ? [[node, b.lagBytes]] : [])),
  );
}
