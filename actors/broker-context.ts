// What the broker's request handlers share: the replica's identity, its
// store and topic table. Handlers read it; only broker.ts builds it.
import { ErrorCode, RbusError } from "../src/protocol/index.js";
import type { MessageStore } from "../src/store/index.js";
import type { Logger } from "../src/runtime/log.js";
import type { BrokerTopics } from "./broker-topics.js";

export interface BrokerContext {
  group: string;
  replica: number;
  store: MessageStore;
  topics: BrokerTopics;
  /** Largest message body a send may carry: the configured limit, or less when the bus's max_payload is smaller. */
  maxMessageBytes: number;
  /** Bytes a reply payload may take now (the server's max_payload less room for headers). */
  replyBudget(): number;
  log: Logger;
  /** Whether this replica takes writes now (read per request: roles change). */
  isMaster(): boolean;
}

export function assertMaster(ctx: BrokerContext): void {
  if (!ctx.isMaster()) {
    throw new RbusError(ErrorCode.NOT_MASTER, `${ctx.group}.${ctx.replica} is not the master of ${ctx.group}; send to the master (see rbus route)`);
  }
}
