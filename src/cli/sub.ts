// rbus sub <subject>: what is published on a subject, as the nats CLI's sub
// prints it — a header line per message, then its payload — or with --raw
// the payloads alone, one a line, for pipes.
import { connectFromFlags, intArg, untilSignal } from "./args.js";
import type { NatsFlags } from "./options.js";
import { headerLines, payloadText } from "./payload.js";

export interface SubFlags extends NatsFlags {
  count?: string;
  raw: boolean;
  headers: boolean;
}

export async function subCommand(subject: string, values: SubFlags): Promise<void> {
  const count = intArg(values.count, "count");
  const nc = await connectFromFlags(values, "rbus-sub");
  let seen = 0;
  const done = async () => {
    await nc.drain().catch(() => undefined);
  };
  const sub = nc.subscribe(subject, count === undefined ? {} : { max: count });
  await nc.flush(); // a subject the user may not read fails here, not in silence
  console.error(`listening on ${subject}${count === undefined ? "; Ctrl-C to stop" : ` for ${count} messages`}`);
  if (count === undefined) untilSignal(done);
  for await (const m of sub) {
    seen++;
    const headers = values.headers ? headerLines(m) : [];
    if (values.raw) {
      for (const h of headers) console.log(h);
      console.log(payloadText(m.data, true));
    } else {
      console.log(`[#${seen}] ${new Date().toISOString()} ${m.subject}${m.reply ? ` (reply to ${m.reply})` : ""}`);
      for (const h of headers) console.log(`  ${h}`);
      console.log(payloadText(m.data, false));
      console.log("");
    }
  }
  if (count !== undefined) await done();
}
