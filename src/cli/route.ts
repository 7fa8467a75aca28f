import { Admin } from "../client/admin.js";
import { withNats } from "./connected.js";
import type { NatsFlags } from "./options.js";
import { withTopicHint } from "./topic-hint.js";
import { table } from "./table.js";

export async function routeCommand(topic: string, values: NatsFlags & { json: boolean }): Promise<void> {
  await withNats(values, async (nc) => {
    const route = await withTopicHint(nc, values.prefix, topic, () => new Admin(nc, { prefix: values.prefix }).route(topic));
    if (values.json) return console.log(JSON.stringify(route, null, 2));
    console.log(`route of ${route.topic} (from ${route.nameServer}):`);
    const rows = route.groups.flatMap((g) => {
      const q = route.queues.find((x) => x.group === g.group);
      return g.replicas.map((r) => [g.group, `${q?.readQueues ?? 0}/${q?.writeQueues ?? 0}`, q?.perm ?? "", `${r.replica}`, r.role, r.liveness, r.address]);
    });
    console.log(table(["GROUP", "QUEUES R/W", "PERM", "REPLICA", "ROLE", "LIVENESS", "ADDRESS"], rows));
  });
}
