// RBUS_INSPECT: how a process shows what its state machines do. Read here
// and nowhere else, when a node or client creates its inspector.
//   nats (default, also when unset)  publish on rbus.inspect.<node>; servers answer rbus.machines.<node>
//   off                              no inspect observer at all: nothing published, machines answer empty
//   stately                          nats, and every actor also goes to Stately's inspector (@statelyai/inspect)
//                                    over a websocket: RBUS_INSPECT_URL, default ws://localhost:8080
export const InspectMode = { off: "off", nats: "nats", stately: "stately" } as const;
export type InspectMode = (typeof InspectMode)[keyof typeof InspectMode];

/** Where the Stately inspector's events go unless RBUS_INSPECT_URL says otherwise (the port its relay listens on by default). */
export const DEFAULT_STATELY_URL = "ws://localhost:8080";

const modes = Object.values(InspectMode) as string[];

/** The mode RBUS_INSPECT asks for; throws for a value it does not know, naming the ones it does. */
export function inspectMode(env: NodeJS.ProcessEnv = process.env): InspectMode {
  const v = env.RBUS_INSPECT;
  if (v === undefined || v === "") return InspectMode.nats;
  if (modes.includes(v)) return v as InspectMode;
  throw new Error(`RBUS_INSPECT=${JSON.stringify(v)} is not a mode: use one of ${modes.join(", ")} (unset: nats)`);
}

/** The websocket the Stately inspector sends to under RBUS_INSPECT=stately. */
export function statelyUrl(env: NodeJS.ProcessEnv = process.env): { url: string; fromEnv: boolean } {
  const v = env.RBUS_INSPECT_URL;
  return v ? { url: v, fromEnv: true } : { url: DEFAULT_STATELY_URL, fromEnv: false };
}
