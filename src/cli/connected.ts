import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../runtime/nats.js";

/** Runs `fn` with a NATS connection that is closed afterwards, whatever happens. */
export async function withNats<T>(url: string, fn: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await connectNats(url, "rbus-cli");
  try {
    return await fn(nc);
  } finally {
    await nc.close();
  }
}
