import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { ensureEventsStream } from "../../src/cluster/events-stream.js";
import { encodeJson, subjects } from "../../src/protocol/index.js";
import { startNatsServer } from "../harness/nats-server.js";

const test = suite("RBUS_EVENTS stream");
const subj = subjects();

test("is created once, updated after, and keeps history across a server restart", async () => {
  const server = await startNatsServer();
  try {
    let nc = await connect({ servers: server.url });
    assert.is(await ensureEventsStream(nc), "created");
    assert.is(await ensureEventsStream(nc), "updated", "a second cluster start finds it");
    const js = jetstream(nc);
    await js.publish(subj.events.liveness("broker-a", 0), encodeJson({ to: "dead" }));
    await nc.close();

    await server.restart();
    nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(subj.eventsStream);
    assert.is(info.config.storage, "file");
    assert.equal(info.config.subjects, ["rbus.events.>"]);
    assert.is(info.state.messages, 1, "the event survived the restart");
    const msg = await jsm.streams.getMessage(subj.eventsStream, { seq: 1 });
    assert.is(msg?.subject, "rbus.events.liveness.broker-a.0");
    await nc.close();
  } finally {
    await server.stop();
  }
});

test.run();
