// When `run-cluster` may say the cluster is running: every NameServer
// answers and lists every broker replica, and every group has a master (a
// replicated group elects one first), so the tour's first send succeeds.
import type { Admin } from "../client/admin.js";
import type { BrokerInfo } from "../protocol/index.js";
import { groupMaster } from "../cli/replica-view.js";

export interface Expected {
  nameServers: number;
  groups: Array<{ name: string; replicas: number }>;
}

/** Resolves with the broker table once the cluster is ready; rejects after `timeoutMs` saying what is missing. */
export async function waitForCluster(
  admin: Admin,
  expected: Expected,
  logs: string,
  timeoutMs = 30_000,
  /** Called with what is still missing each time that changes: start-up shows progress, not silence. */
  onProgress: (missing: string) => void = () => {},
): Promise<BrokerInfo[]> {
  const replicas = expected.groups.reduce((sum, g) => sum + g.replicas, 0);
  const deadline = Date.now() + timeoutMs;
  let missing = "no NameServer answered";
  let told = "";
  for (;;) {
    const seen = await admin.nameServers().catch(() => []);
    if (seen.length < expected.nameServers || seen.some((n) => n.brokers < replicas)) {
      missing = `${seen.length} of ${expected.nameServers} NameServers answer, listing ${seen.map((n) => n.brokers).join("/") || "no"} of ${replicas} broker replicas`;
    } else {
      const { brokers } = await admin.cluster();
      const leaderless = expected.groups.filter((g) => !groupMaster(brokers.filter((b) => b.group === g.name)));
      if (leaderless.length === 0) return brokers;
      missing = `no master yet in ${leaderless.map((g) => g.name).join(", ")}`;
    }
    if (missing !== told) onProgress((told = missing));
    if (Date.now() > deadline) throw new Error(`after ${timeoutMs / 1000}s, ${missing}; see the logs in ${logs}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
