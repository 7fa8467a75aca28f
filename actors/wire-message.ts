// Stored messages as the JSON pull and lookup replies carry them.
import { encodeMsgId, type WireMessage } from "../src/protocol/index.js";
import type { StoredMessage } from "../src/store/index.js";

const decoder = new TextDecoder("utf-8", { fatal: true });

/** The body as UTF-8 text when it is valid UTF-8, else base64 (and says so). */
function body(bytes: Uint8Array): Pick<WireMessage, "body" | "bodyEncoding"> {
  try {
    return { body: decoder.decode(bytes) };
  } catch {
    return { body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"), bodyEncoding: "base64" };
  }
}

export function toWireMessage(group: string, m: StoredMessage): WireMessage {
  return {
    msgId: encodeMsgId(group, m.commitLogOffset),
    topic: m.topic,
    queueId: m.queueId,
    queueOffset: m.queueOffset,
    tags: m.tags,
    keys: m.keys,
    properties: m.properties,
    bornAt: m.bornTimestamp,
    storedAt: m.storeTimestamp,
    ...body(m.body),
  };
}
