// Admin queries against the NameServers: who is there, and what they know.
import type { NatsConnection } from "@nats-io/transport-node";
import { RbusError, subjects, type ClusterInfo, type NameServerInfo, type RouteData } from "../protocol/index.js";
import { requestAll, requestJson } from "../runtime/request.js";

export class Admin {
  private readonly subj;
  constructor(
    private readonly nc: NatsConnection,
    opts: { prefix?: string; timeoutMs?: number } = {},
  ) {
    this.subj = subjects(opts.prefix);
    this.timeoutMs = opts.timeoutMs ?? 3000;
  }
  private readonly timeoutMs: number;

  /** Every NameServer that answers within a short stall. */
  async nameServers(): Promise<NameServerInfo[]> {
    const replies = await requestAll<NameServerInfo>(this.nc, this.subj.ns.info, {}, { maxWaitMs: this.timeoutMs });
    return replies.filter((r): r is NameServerInfo => !(r instanceof RbusError)).sort((a, b) => a.nameServer.localeCompare(b.nameServer));
  }

  /** The broker table as one NameServer sees it. */
  cluster(): Promise<ClusterInfo> {
    return requestJson<ClusterInfo>(this.nc, this.subj.ns.cluster, {}, this.timeoutMs);
  }

  route(topic: string): Promise<RouteData> {
    return requestJson<RouteData>(this.nc, this.subj.ns.route, { topic }, this.timeoutMs);
  }
}
