import { hostname } from "node:os";
import { startNameServer } from "../../actors/nameserver.js";
import { createLogger } from "../runtime/log.js";
import { intArg, connectFromFlags, definedOnly, untilSignal } from "./args.js";
import type { NatsFlags } from "./options.js";

type Values = NatsFlags & { id?: string } & Partial<Record<"scanInterval" | "suspectAfter" | "deadAfter" | "forgetAfter" | "maxBrokers"
  | "registrationsPerSecond" | "registrationBurst" | "probeTimeout", string>>;

export async function nameserverCommand(values: Values): Promise<void> {
  const id = values.id ?? `ns-${hostname()}-${process.pid}`;
  const timings = definedOnly({
    scanIntervalMs: intArg(values.scanInterval, "scan-interval"),
    suspectAfterMs: intArg(values.suspectAfter, "suspect-after"),
    deadAfterMs: intArg(values.deadAfter, "dead-after"),
    forgetAfterMs: intArg(values.forgetAfter, "forget-after"),
  });
  const limits = definedOnly({
    maxBrokers: intArg(values.maxBrokers, "max-brokers"),
    registrationsPerSecond: intArg(values.registrationsPerSecond, "registrations-per-second"),
    registrationBurst: intArg(values.registrationBurst, "registration-burst"),
    probeTimeoutMs: intArg(values.probeTimeout, "probe-timeout"),
  });
  const nc = await connectFromFlags(values, `rbus-nameserver-${id}`);
  const ns = await startNameServer({ nc, id, prefix: values.prefix, timings, limits, log: createLogger() });
  untilSignal(async () => {
    await ns.stop();
    await nc.drain();
  });
}
