// The answers of NATS service discovery (the micro protocol, ADR-32) as
// Rocketbus's nodes give them on $SRV.PING / $SRV.INFO / $SRV.STATS
// (subjects: srvSubjects in subjects.ts). Field names are the protocol's
// own (snake_case), so `nats micro ls|info|stats` reads them.
// @see https://github.com/nats-io/nats-architecture-and-design/blob/main/adr/ADR-32.md

export const MicroType = {
  ping: "io.nats.micro.v1.ping_response",
  info: "io.nats.micro.v1.info_response",
  stats: "io.nats.micro.v1.stats_response",
} as const;
export type MicroType = (typeof MicroType)[keyof typeof MicroType];

/** Fields every answer carries. */
export interface MicroIdentity {
  name: string;
  id: string;
  version: string;
  metadata: Record<string, string>;
}

export interface MicroPing extends MicroIdentity {
  type: typeof MicroType.ping;
}

export interface MicroEndpointInfo {
  name: string;
  subject: string;
  /** Absent for endpoints every instance answers (no queue group). */
  queue_group?: string;
  metadata: Record<string, string>;
}

export interface MicroInfo extends MicroIdentity {
  type: typeof MicroType.info;
  description: string;
  endpoints: MicroEndpointInfo[];
}

export interface MicroEndpointStats {
  name: string;
  subject: string;
  queue_group?: string;
  num_requests: number;
  num_errors: number;
  /** The last error's message, "" when there was none. */
  last_error: string;
  /** Nanoseconds, in total and per request. */
  processing_time: number;
  average_processing_time: number;
}

export interface MicroStats extends MicroIdentity {
  type: typeof MicroType.stats;
  /** When the node started, ISO 8601 in UTC. */
  started: string;
  endpoints: MicroEndpointStats[];
}
