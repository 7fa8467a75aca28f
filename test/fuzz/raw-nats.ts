// A request written as NATS protocol bytes over a plain socket, so its
// header block can be anything (nats.js only writes well-formed ones): a
// status line on a request, a header without a colon, no NATS/1.0 at all.
// One connection, one request at a time.
import { connect, type Socket } from "node:net";

const CRLF = "\r\n";
const INBOX = "_INBOX.rawfuzz";

export class RawNats {
  private buf = Buffer.alloc(0);
  private waiting: ((data: Uint8Array) => void) | undefined;

  private constructor(private readonly sock: Socket) {
    sock.on("data", (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this.parse();
    });
  }

  static async open(port: number): Promise<RawNats> {
    const sock = connect({ host: "127.0.0.1", port });
    await new Promise<void>((resolve, reject) => sock.once("connect", resolve).once("error", reject));
    const raw = new RawNats(sock);
    sock.write(`CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true,"protocol":1}${CRLF}SUB ${INBOX} 1${CRLF}PING${CRLF}`);
    return raw;
  }

  /** Sends `header` (the whole block, as given) and `body` as a request; the reply's payload. */
  request(subject: string, header: Uint8Array, body: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error(`no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting = (data) => {
        clearTimeout(timer);
        this.waiting = undefined;
        resolve(data);
      };
      const total = header.byteLength + body.byteLength;
      this.sock.write(Buffer.concat([Buffer.from(`HPUB ${subject} ${INBOX} ${header.byteLength} ${total}${CRLF}`), header, body, Buffer.from(CRLF)]));
    });
  }

  /** MSG/HMSG on our inbox resolve the waiting request; PING gets PONG; everything else is skipped. */
  private parse(): void {
    for (;;) {
      const eol = this.buf.indexOf(CRLF);
      if (eol < 0) return;
      const line = this.buf.toString("latin1", 0, eol);
      const parts = line.split(" ");
      if (parts[0] === "MSG" || parts[0] === "HMSG") {
        const total = Number(parts.at(-1));
        const headerBytes = parts[0] === "HMSG" ? Number(parts.at(-2)) : 0;
        if (this.buf.length < eol + 2 + total + 2) return;
        const payload = this.buf.subarray(eol + 2 + headerBytes, eol + 2 + total);
        this.buf = this.buf.subarray(eol + 2 + total + 2);
        this.waiting?.(Uint8Array.from(payload));
        continue;
      }
      if (parts[0] === "PING") this.sock.write(`PONG${CRLF}`);
      this.buf = this.buf.subarray(eol + 2);
    }
  }

  close(): void {
    this.sock.destroy();
  }
}
