// rbus dashboard: serves the live dashboard page of a running cluster.
import { DEFAULT_DASHBOARD_PORT } from "../dashboard/server.js";
import { startDashboard } from "../dashboard/dashboard.js";
import { createLogger } from "../runtime/log.js";
import { connectFromFlags, intArg, natsOption, natsUsage, parse, prefixOption, untilSignal } from "./args.js";

const usage = `rbus dashboard [--port ${DEFAULT_DASHBOARD_PORT}] [--host 127.0.0.1] [--prefix rbus] ${natsUsage}`;

export async function dashboardCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, { ...natsOption, ...prefixOption, port: { type: "string" }, host: { type: "string", default: "127.0.0.1" } }, usage);
  const port = intArg(values.port, "port") ?? DEFAULT_DASHBOARD_PORT;
  const log = createLogger({ node: "dashboard" });
  const nc = await connectFromFlags(values, "rbus-dashboard");
  const dashboard = await startDashboard(nc, { prefix: values.prefix, port, host: values.host, log }).catch(async (err: unknown) => {
    await nc.close();
    throw err;
  });
  console.log(`dashboard: ${dashboard.url}`);
  log.info("dashboard started", { url: dashboard.url, nats: values.nats, prefix: values.prefix });
  untilSignal(async () => {
    await dashboard.close();
    await nc.drain();
    log.info("dashboard stopped");
  });
}
