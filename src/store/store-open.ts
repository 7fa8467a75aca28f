// The steps of MessageStore.open before the store object exists: take the
// folder's lock, sweep temp files, set the abort marker, open the commit
// log, consume queues and key index, recover (recovery.ts), and check the
// term history against what recovery saw (term-history.ts). On a failure
// the files and the lock are let go, and the error is passed on.
import * as fs from "node:fs";
import * as path from "node:path";
import { sweepTempFiles } from "./atomic-file.js";
import { openMarker, readCheckpoint, type Checkpoint } from "./checkpoint.js";
import { CommitLog } from "./commit-log.js";
import { lockDataDir, type DataLock } from "./data-lock.js";
import { Dispatcher } from "./dispatch.js";
import { FdCache, openFileBudget } from "./fd-cache.js";
import { KeyIndex } from "./key-index.js";
import type { ResolvedOptions } from "./options.js";
import { Quarantine } from "./quarantine.js";
import { QueueTable } from "./queue-table.js";
import { recover, type RecoveryReport } from "./recovery.js";
import { TermHistory, type TermStart } from "./term-history.js";

export interface StoreParts {
  lock: DataLock;
  fds: FdCache;
  log: CommitLog;
  queues: QueueTable;
  keys: KeyIndex;
  dispatcher: Dispatcher;
  report: RecoveryReport;
  history: TermHistory;
  checkpoint: Checkpoint | undefined;
  /** Set when the abort marker could not be written (a full disk): the store opens read-only. */
  markerError: unknown;
}

export async function openParts(dir: string, opts: ResolvedOptions): Promise<StoreParts> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  privateFolder(dir, opts);
  const lock = await lockDataDir(dir);
  const fds = new FdCache(openFileBudget(opts.maxOpenFiles), (n) => opts.log.warn("out of file descriptors: fewer files kept open", { maxOpenFiles: n }));
  let keys: KeyIndex | undefined;
  try {
    sweepTempFiles([dir, path.join(dir, "config"), path.join(dir, "index")]);
    const marker = openMarker(dir);
    const abnormal = marker.abnormal;
    const log = CommitLog.open(dir, opts.segmentBytes, fds);
    const queues = QueueTable.open(dir, opts.cqEntriesPerFile, fds);
    keys = new KeyIndex(dir, { slots: opts.keyIndexSlots, entriesPerFile: opts.keyIndexEntriesPerFile, now: opts.now, log: opts.log });
    // after a crash too: the index files hold every keyed record below their offset, and replay does the rest
    const keyIndexCovers = keys.load();
    noteKeyFile(keys, log, opts);
    const dispatcher = new Dispatcher(queues, keys);
    const checkpoint = readCheckpoint(dir);
    const quarantine = new Quarantine(dir, opts.now);
    const termChanges: TermStart[] = [];
    let history: TermHistory | undefined;
    // the history is checked once the torn tail is cut (before a gap fill, which takes its last term)
    const terms = (checkedFrom: number): TermHistory => (history ??= openTerms(dir, log, termChanges, checkedFrom, opts));
    const report = recover({
      log, queues, dispatcher, checkpoint, abnormal, keyIndexCovers, quarantine, now: opts.now(),
      keepLost: !opts.replicated, termChanges, gapTerm: (from) => Math.max(opts.term, terms(from).lastTerm),
    });
    // entries past what recovery kept would name records later written at those offsets
    const keptEnd = report.gapFilled?.from ?? log.maxOffset;
    if (keyIndexCovers > keptEnd) keys.cutFrom(keptEnd);
    const h = terms(report.checkedFrom);
    if (report.gapFilled) h.willAppend([{ term: Math.max(opts.term, h.lastTerm), start: report.gapFilled.from }]);
    return { lock, fds, log, queues, keys, dispatcher, report, history: h, checkpoint, markerError: marker.error };
  } catch (err) {
    keys?.abandon();
    fds.closeAll();
    lock.release();
    throw err;
  }
}

function noteKeyFile(keys: KeyIndex, log: CommitLog, opts: ResolvedOptions): void {
  if (keys.tornFiles.length > 0) opts.log.warn("key index file's last write was cut short: its older header used, the rest replayed from the log", { files: keys.tornFiles });
  const p = keys.loadProblem;
  if (!p || log.maxOffset <= log.minOffset) return;
  if (p.problem === "damaged") opts.log.error("key index file damaged: it and newer ones rebuilt from the commit log", { reason: p.reason });
  else opts.log.info("no saved key index: rebuilt from the whole commit log", { reason: p.reason, bytes: log.maxOffset - log.minOffset });
}

function openTerms(dir: string, log: CommitLog, tail: readonly TermStart[], checkedFrom: number, opts: ResolvedOptions): TermHistory {
  const { history, rebuilt } = TermHistory.open(dir, log, tail, checkedFrom);
  if (rebuilt) opts.log.warn("config/terms.json disagreed with the commit log: rebuilt from the record headers", { terms: history.terms().length });
  return history;
}

/**
 * A folder made before files were private (or by hand, under umask 022)
 * keeps its mode: closing the folder itself to others closes everything
 * beneath it, whatever the older files' modes.
 */
function privateFolder(dir: string, opts: ResolvedOptions): void {
  const mode = fs.statSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  fs.chmodSync(dir, 0o700);
  opts.log.info("data folder was readable by others: made private (0700)", { dir, was: mode.toString(8) });
}
