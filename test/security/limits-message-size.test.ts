// Message size below the bus's max_payload: the broker's maxMessageBytes is
// cut to what a request can carry (max_payload less 4 KiB), a stored
// record always fits a binary pull reply, and status reports both.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { decodeJson, encodeJson, Header } from "../../src/protocol/index.js";
import { api, startLimitsBroker, type LimitsBroker, type Reply } from "./limits-broker.js";

const MiB = 1024 * 1024;
const test = suite<{ lb?: LimitsBroker }>("message size limit");
test.after.each(async (ctx) => {
  await ctx.lb?.stop();
  ctx.lb = undefined;
});

test("on a 1 MiB bus a broker asked for 4 MiB takes 1 MiB less 4 KiB, says so in status, and serves the largest", async (ctx) => {
  const lb = (ctx.lb = await startLimitsBroker(["--max-message-bytes", String(4 * MiB)], { maxPayload: MiB }));
  const { limits } = await lb.status();
  assert.is(limits.maxPayload, MiB);
  assert.is(limits.maxMessageBytes, MiB - 4096);
  const over = await lb.send("big", Buffer.alloc(MiB - 4095, 1), 0);
  assert.is(over.error?.code, "MESSAGE_TOO_LARGE");
  const largest = await lb.send("big", Buffer.alloc(MiB - 4096, 2), 0);
  assert.is(largest.status, "SEND_OK");
  // binary: the record fits the reply; JSON: base64 does not, a typed error says so
  const bin = await lb.nc.request(api("pull"), encodeJson({ group: "g", topic: "big", queueId: 0, offset: 0, max: 1, format: "binary" }), { timeout: 5000 });
  assert.is(bin.headers?.get(Header.status), "FOUND");
  assert.ok(bin.data.byteLength > MiB - 4096);
  const json = decodeJson((await lb.nc.request(api("pull"), encodeJson({ group: "g", topic: "big", queueId: 0, offset: 0, max: 1 }), { timeout: 5000 })).data) as Reply;
  assert.is(json.error?.code, "MESSAGE_TOO_LARGE");
  assert.is((await lb.send("big", "small", 0)).status, "SEND_OK");
  lb.assertAlive();
});

test.run();
