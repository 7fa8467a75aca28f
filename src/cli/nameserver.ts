import { hostname } from "node:os";
import { startNameServer } from "../../actors/nameserver.js";
import { createLogger } from "../runtime/log.js";
import { intArg, connectFromFlags, definedOnly, natsOption, parse, prefixOption, untilSignal } from "./args.js";

const usage =
  "rbus nameserver --nats <url> [--id <name>] [--scan-interval <ms>] [--suspect-after <ms>] [--dead-after <ms>] [--forget-after <ms>]\n" +
  "      [--max-brokers <n>] [--registrations-per-second <n>] [--registration-burst <n>] [--probe-timeout <ms>]";

export async function nameserverCommand(argv: string[]): Promise<void> {
  const { values } = parse(
    argv,
    {
      ...natsOption,
      ...prefixOption,
      id: { type: "string" },
      "scan-interval": { type: "string" },
      "suspect-after": { type: "string" },
      "dead-after": { type: "string" },
      "forget-after": { type: "string" },
      "max-brokers": { type: "string" },
      "registrations-per-second": { type: "string" },
      "registration-burst": { type: "string" },
      "probe-timeout": { type: "string" },
    },
    usage,
  );
  const id = values.id ?? `ns-${hostname()}-${process.pid}`;
  const timings = definedOnly({
    scanIntervalMs: intArg(values["scan-interval"], "scan-interval"),
    suspectAfterMs: intArg(values["suspect-after"], "suspect-after"),
    deadAfterMs: intArg(values["dead-after"], "dead-after"),
    forgetAfterMs: intArg(values["forget-after"], "forget-after"),
  });
  const limits = definedOnly({
    maxBrokers: intArg(values["max-brokers"], "max-brokers"),
    registrationsPerSecond: intArg(values["registrations-per-second"], "registrations-per-second"),
    registrationBurst: intArg(values["registration-burst"], "registration-burst"),
    probeTimeoutMs: intArg(values["probe-timeout"], "probe-timeout"),
  });
  const nc = await connectFromFlags(values, `rbus-nameserver-${id}`);
  const ns = await startNameServer({ nc, id, prefix: values.prefix, timings, limits, log: createLogger() });
  untilSignal(async () => {
    await ns.stop();
    await nc.drain();
  });
}
