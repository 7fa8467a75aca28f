import { startBroker } from "../../actors/broker.js";
import { connectNats } from "../runtime/nats.js";
import { createLogger } from "../runtime/log.js";
import { intArg, natsOption, parse, prefixOption, required, untilSignal } from "./args.js";

const usage =
  "rbus broker --nats <url> --group <name> --replica <n> --data <dir> [--cluster <name>] [--heartbeat-interval <ms>] [--no-auto-create-topic]";

export async function brokerCommand(argv: string[]): Promise<void> {
  const { values } = parse(
    argv,
    {
      ...natsOption,
      ...prefixOption,
      cluster: { type: "string", default: "DefaultCluster" },
      group: { type: "string" },
      replica: { type: "string", default: "0" },
      data: { type: "string" },
      "heartbeat-interval": { type: "string" },
      "no-auto-create-topic": { type: "boolean", default: false },
    },
    usage,
  );
  const group = required(values.group, "group", usage);
  const replica = intArg(values.replica, "replica") ?? 0;
  const dataDir = required(values.data, "data", usage);
  const nc = await connectNats(values.nats, `rbus-broker-${group}-${replica}`);
  const broker = await startBroker({
    nc,
    cluster: values.cluster,
    group,
    replica,
    dataDir,
    prefix: values.prefix,
    heartbeatIntervalMs: intArg(values["heartbeat-interval"], "heartbeat-interval"),
    autoCreateTopic: !values["no-auto-create-topic"],
    log: createLogger(),
  });
  untilSignal(async () => {
    await broker.stop();
    await nc.drain();
  });
}
