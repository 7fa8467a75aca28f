import { startBroker } from "../../actors/broker.js";
import { createLogger } from "../runtime/log.js";
import { intArg, connectFromFlags, natsOption, parse, prefixOption, required, untilSignal, UsageError } from "./args.js";
import { replicationArgs, replicationOptions } from "./replication-args.js";
import { limitArgs, limitOptions, limitUsage } from "./limit-args.js";

const usage =
  "rbus broker --nats <url> --group <name> --replica <i> --data <dir> [--replicas <N>] [--failover auto|manual] [--election-timeout <ms>]" +
  " [--ack quorum|leader] [--read-from-slave-bytes <n>] [--cluster <name>] [--heartbeat-interval <ms>] [--flush async|sync]" +
  " [--max-message-bytes <n>] [--no-auto-create-topic] [--max-open-files <n>] [--disk-max-used-ratio <0..1>] [--disk-min-free-bytes <n>] " + limitUsage;

export async function brokerCommand(argv: string[]): Promise<void> {
  const { values } = parse(
    argv,
    {
      ...natsOption,
      ...prefixOption,
      cluster: { type: "string", default: "DefaultCluster" },
      group: { type: "string" },
      ...replicationOptions,
      data: { type: "string" },
      "heartbeat-interval": { type: "string" },
      "no-auto-create-topic": { type: "boolean", default: false },
      flush: { type: "string", default: "async" },
      "max-message-bytes": { type: "string" },
      "max-open-files": { type: "string" },
      "disk-max-used-ratio": { type: "string" },
      "disk-min-free-bytes": { type: "string" },
      ...limitOptions,
    },
    usage,
  );
  const group = required(values.group, "group", usage);
  const { replica, replication } = usageOf(() => replicationArgs(values));
  const dataDir = required(values.data, "data", usage);
  const flush = values.flush;
  if (flush !== "async" && flush !== "sync") throw new UsageError(`--flush must be async or sync, got "${flush}"\nusage: ${usage}`);
  const diskMaxUsedRatio = ratioArg(values["disk-max-used-ratio"], "disk-max-used-ratio");
  const log = createLogger();
  // no async stack traces: a broker makes a request per fetch, and each would cost an Error
  const nc = await connectFromFlags(values, `rbus-broker-${group}-${replica}`, { noAsyncTraces: true });
  const broker = await startBroker({
    nc,
    cluster: values.cluster,
    group,
    replica,
    dataDir,
    prefix: values.prefix,
    heartbeatIntervalMs: intArg(values["heartbeat-interval"], "heartbeat-interval"),
    autoCreateTopic: !values["no-auto-create-topic"],
    maxMessageBytes: intArg(values["max-message-bytes"], "max-message-bytes"),
    limits: usageOf(() => limitArgs(values)),
    replication,
    store: {
      flush,
      maxOpenFiles: intArg(values["max-open-files"], "max-open-files"),
      diskMaxUsedRatio,
      diskMinFreeBytes: intArg(values["disk-min-free-bytes"], "disk-min-free-bytes"),
      log: log.child({ component: "store" }),
    },
    log,
  });
  untilSignal(async () => {
    await broker.stop();
    await nc.drain();
  });
}

/** A replication flag's error, with the command's usage below it. */
function usageOf<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${err.message}\nusage: ${usage}`);
    throw err;
  }
}

function ratioArg(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n > 0 && n <= 1)) throw new UsageError(`--${name} must be a fraction in (0, 1], got "${value}"`);
  return n;
}
