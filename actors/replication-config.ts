// What a slave copies besides the log: the topic table and the consumer
// offsets (RocketMQ's SlaveSynchronize). The master bumps a version when
// either changes and sends it in every fetch answer; a slave that sees a
// new version asks ha.config once and applies the snapshot whole.
import { decodeConfigSnapshot, encodeJson, type ConfigSnapshot } from "../src/protocol/index.js";
import type { Logger } from "../src/runtime/log.js";
import type { GroupTransport } from "./group-transport.js";

export interface ConfigSource {
  /** Changes whenever the snapshot would (0: nothing to copy yet). */
  version(): number;
  snapshot(): ConfigSnapshot;
  /** A slave applies its master's snapshot. */
  apply(snapshot: ConfigSnapshot): void;
}

export async function syncConfig(transport: GroupTransport, master: number, config: ConfigSource, log: Logger): Promise<void> {
  if (master < 0) return;
  try {
    const data = await transport.request(master, "ha.config", encodeJson({}), 3000);
    const snapshot = decodeConfigSnapshot(data);
    config.apply(snapshot);
    log.debug("copied topic configs and consumer offsets from the master", { version: snapshot.version, topics: snapshot.topics.length });
  } catch (err) {
    log.warn("could not copy the master's topic configs and consumer offsets; retrying at the next fetch", { error: String(err) });
    throw err;
  }
}
