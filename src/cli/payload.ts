// How rbus sub and rbus req print a NATS message: pretty JSON when it is
// JSON, the text when it is UTF-8, base64 otherwise (and say so).
import type { Msg } from "@nats-io/transport-node";

const utf8 = new TextDecoder("utf-8", { fatal: true });

export function payloadText(data: Uint8Array, raw: boolean): string {
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return raw ? Buffer.from(data).toString("latin1") : `(binary, base64) ${Buffer.from(data).toString("base64")}`;
  }
  if (raw) return text;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function headerLines(m: Msg): string[] {
  if (!m.headers) return [];
  const lines: string[] = [];
  for (const [k, values] of m.headers) for (const v of values) lines.push(`${k}: ${v}`);
  return lines;
}

/** "k:v" → [k, v]; the value may hold colons. */
export function headerArg(h: string): [string, string] | undefined {
  const at = h.indexOf(":");
  if (at <= 0) return undefined;
  return [h.slice(0, at).trim(), h.slice(at + 1).trim()];
}
