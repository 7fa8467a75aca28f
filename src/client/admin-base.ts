// What every Admin query starts from: the connection, the subjects, and
// where to find the brokers (the NameServers' cluster table and routes).
import type { NatsConnection } from "@nats-io/transport-node";
import { ErrorCode, RbusError, subjects, type BrokerApi, type BrokerInfo, type ClusterInfo, type NameServerInfo, type RouteData } from "../protocol/index.js";
import { requestAll, requestJson } from "../runtime/request.js";
import type { MasterAddress } from "./admin-fanout.js";
import { brokerAddress } from "./route-cache.js";

export class AdminBase {
  protected readonly subj;
  protected readonly timeoutMs: number;

  constructor(
    protected readonly nc: NatsConnection,
    opts: { prefix?: string; timeoutMs?: number } = {},
  ) {
    this.subj = subjects(opts.prefix);
    this.timeoutMs = opts.timeoutMs ?? 3000;
  }

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

  /** Live masters, optionally only of the named groups. */
  protected async masters(groups?: string[]): Promise<BrokerInfo[]> {
    const { brokers } = await this.cluster();
    const masters = brokers.filter((b) => b.role === "master" && b.liveness !== "dead" && (!groups || groups.includes(b.group)));
    if (masters.length === 0) throw new RbusError(ErrorCode.NO_RESPONDERS, groups ? `no live master in ${groups.join(", ")}` : "no live broker in the cluster");
    return masters;
  }

  /** The master of every broker group the topic's route lists (or of the named ones): TOPIC_NOT_EXIST when no route. */
  protected async routeMasters(topic: string, groups?: string[]): Promise<MasterAddress[]> {
    const route = await this.route(topic);
    const out: MasterAddress[] = [];
    for (const q of route.queues) {
      if (groups && !groups.includes(q.group)) continue;
      const address = brokerAddress(route, q.group);
      if (address) out.push({ group: q.group, address });
    }
    if (out.length === 0) throw new RbusError(ErrorCode.NO_RESPONDERS, `no live master serves "${topic}"${groups ? ` in ${groups.join(", ")}` : ""}`);
    return out;
  }

  /** One JSON request to a broker's API at its address. */
  protected ask<T>(address: string, api: BrokerApi, body: unknown): Promise<T> {
    return requestJson<T>(this.nc, this.subj.brokerApi(address, api), body, this.timeoutMs);
  }
}
