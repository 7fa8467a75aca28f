import { startBroker } from "../../actors/broker.js";
import { createLogger } from "../runtime/log.js";
import { intArg, connectFromFlags, required, untilSignal, UsageError } from "./args.js";
import { brokerGroupOf, type NatsFlags } from "./options.js";
import { replicationArgs } from "./replication-args.js";
import { timerArgs } from "./timer-args.js";
import { limitArgs } from "./limit-args.js";
import { transactionArgs } from "./transaction-args.js";

export interface BrokerFlags extends NatsFlags {
  cluster: string;
  brokerGroup?: string;
  group?: string;
  replica: string;
  replicas: string;
  failover: string;
  ack?: string;
  electionTimeout?: string;
  readFromSlaveBytes?: string;
  data?: string;
  heartbeatInterval?: string;
  autoCreateTopic: boolean;
  flush: string;
  maxMessageBytes?: string;
  maxOpenFiles?: string;
  diskMaxUsedRatio?: string;
  diskMinFreeBytes?: string;
  lockLease?: string;
  delayLevels?: string;
  timerHorizon?: string;
  maxPendingTimers?: string;
}

export async function brokerCommand(values: BrokerFlags): Promise<void> {
  const group = required(brokerGroupOf(values, "broker"), "broker-group");
  const { replica, replication } = replicationArgs({
    replica: values.replica,
    replicas: values.replicas,
    failover: values.failover,
    ack: values.ack,
    "election-timeout": values.electionTimeout,
    "read-from-slave-bytes": values.readFromSlaveBytes,
  });
  const dataDir = required(values.data, "data");
  const flush = values.flush;
  if (flush !== "async" && flush !== "sync") throw new UsageError(`--flush must be async or sync, got "${flush}"`);
  const diskMaxUsedRatio = ratioArg(values.diskMaxUsedRatio, "disk-max-used-ratio");
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
    heartbeatIntervalMs: intArg(values.heartbeatInterval, "heartbeat-interval"),
    autoCreateTopic: values.autoCreateTopic,
    maxMessageBytes: intArg(values.maxMessageBytes, "max-message-bytes"),
    limits: limitArgs(values as unknown as Record<string, unknown>),
    transactions: transactionArgs(values as unknown as Record<string, unknown>),
    replication,
    lockLeaseMs: intArg(values.lockLease, "lock-lease"),
    timers: timerArgs(values),
    store: {
      flush,
      maxOpenFiles: intArg(values.maxOpenFiles, "max-open-files"),
      diskMaxUsedRatio,
      diskMinFreeBytes: intArg(values.diskMinFreeBytes, "disk-min-free-bytes"),
      log: log.child({ component: "store" }),
    },
    log,
  });
  untilSignal(async () => {
    await broker.stop();
    await nc.drain();
  });
}

function ratioArg(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n > 0 && n <= 1)) throw new UsageError(`--${name} must be a fraction in (0, 1], got "${value}"`);
  return n;
}
