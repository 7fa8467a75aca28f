import type { NatsConnection } from "@nats-io/transport-node";
import { connectFromFlags } from "./args.js";
import type { NatsFlags } from "./options.js";

/** Runs `fn` with a NATS connection from the command's flags that is closed afterwards, whatever happens. */
export async function withNats<T>(values: NatsFlags, fn: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await connectFromFlags(values, "rbus-cli");
  try {
    return await fn(nc);
  } finally {
    await nc.close();
  }
}
