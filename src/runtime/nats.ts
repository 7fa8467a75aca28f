import { connect, type NatsConnection } from "@nats-io/transport-node";

/**
 * A connection that never gives up reconnecting: a node outlives a NATS
 * restart and re-registers when the connection comes back.
 */
export async function connectNats(servers: string, name: string, opts: { noAsyncTraces?: boolean } = {}): Promise<NatsConnection> {
  try {
    return await connect({
      servers: servers.split(","),
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      // Async stack traces cost an Error per request: worth dropping on a hot path.
      noAsyncTraces: opts.noAsyncTraces ?? false,
      // Payloads up to the server's max_payload; nats.conf raises it to 8 MiB.
    });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot connect to NATS at ${servers} (${reason}); is nats-server running? Try: make run-cluster`);
  }
}
