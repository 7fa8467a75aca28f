// A node that may die and come back, run as its own process: every life's
// output is kept, so a failure message or a post-mortem can show all of them.
import type { RbusProcess } from "./processes.js";

export class Node {
  readonly lives: RbusProcess[] = [];
  constructor(
    readonly name: string,
    private readonly launch: () => RbusProcess,
  ) {}
  start(): this {
    this.lives.push(this.launch());
    return this;
  }
  get current(): RbusProcess {
    return this.lives.at(-1)!;
  }
  get pid(): number {
    return this.current.proc.pid!;
  }
  alive(): boolean {
    const p = this.current.proc;
    return p.exitCode === null && p.signalCode === null;
  }
  signal(sig: "SIGSTOP" | "SIGCONT"): void {
    if (this.alive()) this.current.proc.kill(sig);
  }
  /**
   * Sends `sig` (SIGCONT first, so a paused node can act on it) and waits for
   * the exit; a node still running after `graceMs` gets SIGKILL.
   */
  async stop(sig: NodeJS.Signals = "SIGKILL", graceMs = 15_000): Promise<number | null> {
    this.signal("SIGCONT");
    const p = this.current;
    const timer = setTimeout(() => p.proc.kill("SIGKILL"), graceMs);
    try {
      return await p.kill(sig);
    } finally {
      clearTimeout(timer);
    }
  }
  /** The current life's output. */
  output(): string {
    return this.current.output();
  }
  /** Every life's output, lives separated by a marker line. */
  history(): string {
    return this.lives.map((l, i) => `--- ${this.name}, life ${i + 1} (pid ${l.proc.pid}) ---\n${l.output()}`).join("\n");
  }
}
