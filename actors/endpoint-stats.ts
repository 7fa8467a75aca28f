// Per-endpoint counters for $SRV.STATS, fed by the handlers that already
// serve each subject (responder.ts, the pull handler): two numbers and a
// clock reading per request, no allocation, so the send path stays as fast.
import type { MicroEndpointInfo, MicroEndpointStats } from "../src/protocol/index.js";

export class EndpointStats {
  requests = 0;
  errors = 0;
  lastError = "";
  /** Milliseconds, from performance.now() readings. */
  processingMs = 0;

  constructor(
    readonly name: string,
    readonly subject: string,
    readonly queueGroup?: string,
  ) {}

  /** A request handled, from `startedAt` (a performance.now() reading) until its reply left. */
  done(startedAt: number): void {
    this.requests++;
    this.processingMs += performance.now() - startedAt;
  }

  /** A request answered with an error (a refusal or a failure): counted, and its message kept. */
  failed(startedAt: number, err: unknown): void {
    this.done(startedAt);
    this.errors++;
    this.lastError = err instanceof Error ? err.message : String(err);
  }

  info(metadata: Record<string, string> = {}): MicroEndpointInfo {
    return { name: this.name, subject: this.subject, ...(this.queueGroup ? { queue_group: this.queueGroup } : {}), metadata };
  }

  stats(): MicroEndpointStats {
    const total = Math.round(this.processingMs * 1e6);
    return {
      name: this.name,
      subject: this.subject,
      ...(this.queueGroup ? { queue_group: this.queueGroup } : {}),
      num_requests: this.requests,
      num_errors: this.errors,
      last_error: this.lastError,
      processing_time: total,
      average_processing_time: this.requests > 0 ? Math.round(total / this.requests) : 0,
    };
  }
}

/** An API's name as a micro endpoint name, which takes no dots: "send.batch" → "send-batch". */
export const endpointName = (api: string): string => api.replace(/\./g, "-");

/** The endpoints a node lists in $SRV.INFO, each counted by the subscription that serves it. */
export class Endpoints {
  readonly all: EndpointStats[] = [];

  add(name: string, subject: string, queueGroup?: string): EndpointStats {
    const e = new EndpointStats(endpointName(name), subject, queueGroup);
    this.all.push(e);
    return e;
  }
}
