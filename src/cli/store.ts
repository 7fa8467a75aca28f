// rbus store verify: checks a broker's data folder offline (it only reads),
// prints every damaged range and torn tail by offset, and exits 1 if it
// found any. A progress bar on stderr when that is a terminal, a line every
// few seconds otherwise.
import { existsSync } from "node:fs";
import { dataDirHolder } from "../store/data-lock.js";
import { verifyStore, type VerifyReport } from "../store/verify.js";
import { required, UsageError } from "./args.js";
import { table } from "./table.js";

const LINE_EVERY_MS = 3000;

export async function storeVerifyCommand(values: { data?: string; json: boolean; live: boolean }): Promise<void> {
  const dir = required(values.data, "data");
  // A live broker's tail is mid-write: it would read as torn. Scanning is harmless, the verdict is not.
  const holder = existsSync(dir) ? await dataDirHolder(dir) : null;
  if (holder !== null && !values.live) {
    throw new UsageError(`${dir} is in use by a running broker (pid ${holder ?? "unknown"}): stop it first, or pass --live to scan anyway (its tail may read as torn)`);
  }
  const report = verifyStore(dir, progressReporter());
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else console.log(describe(report));
  if (!report.clean) process.exitCode = 1;
}

function progressReporter(): (done: number, total: number) => void {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  return (done, total) => {
    const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
    if (tty) {
      const width = 30;
      const filled = Math.round((pct / 100) * width);
      process.stderr.write(`\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(pct).padStart(3)}%  ${mib(done)} / ${mib(total)}`);
      if (done >= total) process.stderr.write("\n");
      return;
    }
    const now = Date.now();
    if (now - last < LINE_EVERY_MS && done < total) return;
    last = now;
    process.stderr.write(`verify: ${pct}% (${mib(done)} of ${mib(total)})\n`);
  };
}

function describe(r: VerifyReport): string {
  const rows = r.damaged.map((d) => ["damaged", String(d.from), String(d.to), String(d.bytes)]);
  if (r.tornTail) rows.push(["torn tail", String(r.tornTail.from), String(r.tornTail.to), String(r.tornTail.bytes)]);
  const found = rows.length > 0 ? `${table(["KIND", "FROM", "TO", "BYTES"], rows)}\n` : "";
  const damagedBytes = r.damaged.reduce((n, d) => n + d.bytes, 0);
  const torn = r.tornTail ? `, torn tail of ${r.tornTail.bytes} bytes (the next start cuts it)` : "";
  const verdict = r.clean ? "clean" : "DAMAGED";
  return `${found}${r.dir}: ${verdict}: ${r.records} records in ${r.segments} segments (${mib(r.bytes)}), ${r.damaged.length} damaged ranges (${damagedBytes} bytes)${torn}`;
}

function mib(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}
