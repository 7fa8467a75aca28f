// A broker replica played by the test on a real nats-server: it registers
// with the NameServers in whatever role and term the test says, answers
// send and send.batch as a master would or with NOT_MASTER naming another
// replica, serves pulls from a function of the request, and records every
// request. `down()` unsubscribes it (NATS answers "no responders", as for a
// killed broker whose registration has not expired yet).
import { headers, type Msg, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import {
  decodeBatch,
  decodeJson,
  encodeBatchReply,
  encodeJson,
  encodeMsgId,
  Header,
  isGroupScoped,
  notMasterError,
  PullStatus,
  SendStatus,
  subjects,
  type BrokerApi,
  type BrokerRegistration,
  type PullRequest,
  type Role,
  type SendResult,
  type TopicConfig,
} from "../../src/protocol/index.js";
import { isRecordBatch } from "../../src/protocol/record-batch.js";
import { walkRecordBatch } from "../../src/protocol/record-batch-walk.js";
import { registerFake, testSession } from "../harness/registration.js";
import { encodedSize, encodeRecord } from "../../src/store/record.js";

const subj = subjects();

/** A heartbeat's answer: the member alone. */
function members(m: Msg) {
  const hb = decodeJson(m.data) as { group: string; clientId: string };
  return { group: hb.group, members: [hb.clientId] };
}

/** What a fake pull answers: the bodies found from the request's offset, and where to read next. */
export interface FakePull {
  bodies?: string[];
  readFrom?: string;
}

export interface Request {
  api: BrokerApi;
  body: unknown;
}

export class FakeReplica {
  readonly address: string;
  readonly requests: Request[] = [];
  /** Writes are refused with NOT_MASTER naming this replica (and term) while set. */
  notMaster: { term: number; master: number } | undefined;
  pull: (req: PullRequest) => FakePull = () => ({});
  /** The committed offset offset.query reports. */
  committed = -1;
  private subs: Subscription[] = [];
  private stored = 0;

  constructor(
    private readonly nc: NatsConnection,
    readonly group: string,
    readonly replica: number,
    readonly topics: TopicConfig[],
  ) {
    this.address = subj.brokerBase(group, replica);
  }

  count(api: BrokerApi): number {
    return this.requests.filter((r) => r.api === api).length;
  }

  async register(role: Role, term: number): Promise<void> {
    const reg: BrokerRegistration = {
      cluster: "c", group: this.group, replica: this.replica, role, term, address: this.address,
      heartbeatIntervalMs: 30_000, topics: this.topics, startedAt: 1,
    };
    await registerFake(this.nc, { ...reg, session: testSession(this.group, this.replica) });
  }

  async up(): Promise<void> {
    const apis: Array<[BrokerApi, (m: Msg) => void]> = [
      ["send", (m) => this.refuse(m) ?? this.send(m)],
      ["send.batch", (m) => this.refuse(m) ?? this.sendBatch(m)],
      ["pull", (m) => this.servePull(m)],
      ["offset.query", (m) => m.respond(encodeJson(this.offsetQuery(m)))],
      ["offset.commit", (m) => m.respond(encodeJson({}))],
      ["client.heartbeat", (m) => this.refuse(m) ?? m.respond(encodeJson(members(m)))],
    ];
    for (const [api, handle] of apis) {
      this.subs.push(
        this.nc.subscribe(isGroupScoped(api) ? `${subj.brokerApi(this.address, api)}.*` : subj.brokerApi(this.address, api), {
          callback: (_, m) => {
            this.requests.push({ api, body: api === "send" || api === "send.batch" ? m.data.byteLength : decodeJson(m.data) });
            handle(m);
          },
        }),
      );
    }
    await this.nc.flush();
  }

  async down(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    await this.nc.flush();
  }

  private refuse(m: Msg): true | undefined {
    if (!this.notMaster) return undefined;
    const { term, master } = this.notMaster;
    m.respond(encodeJson(notMasterError(this.group, term, master, master >= 0 ? subj.brokerBase(this.group, master) : "").toWire()));
    return true;
  }

  private send(m: Msg): void {
    const queueId = Number(m.headers?.get(Header.queue));
    const n = this.stored++;
    const r: SendResult = { status: SendStatus.SEND_OK, msgId: encodeMsgId(this.group, n), topic: m.headers?.get(Header.topic) ?? "", queueId, queueOffset: n };
    m.respond(encodeJson(r));
  }

  private sendBatch(m: Msg): void {
    // RBB2 (records of any topics) or RBB1 (entries of the Rbus-Topic header's topic)
    const queueIds = isRecordBatch(m.data) ? walkRecordBatch(m.data).queueIds : decodeBatch(m.data).map((e) => e.queueId);
    const offsets = queueIds.map(() => this.stored++);
    const h = headers();
    h.set(Header.status, SendStatus.SEND_OK);
    h.set(Header.group, this.group);
    h.set(Header.topic, m.headers?.get(Header.topic) ?? "");
    m.respond(encodeBatchReply(queueIds, offsets, offsets), { headers: h });
  }

  private offsetQuery(m: Msg) {
    const q = decodeJson(m.data) as { topic: string; queueId: number };
    return { topic: q.topic, queues: [{ queueId: q.queueId, offset: this.committed, minOffset: 0, maxOffset: 1000 }] };
  }

  /** A binary pull reply: commit-log records for the bodies, offsets and readFrom in headers. */
  private servePull(m: Msg): void {
    const req = decodeJson(m.data) as PullRequest;
    const { bodies = [], readFrom } = this.pull(req);
    const records = bodies.map((b, i) => {
      const msg = { topic: req.topic, queueId: req.queueId, body: Buffer.from(b) };
      const size = encodedSize(msg);
      const buf = Buffer.alloc(size);
      encodeRecord(buf, 0, size, msg, 1, 0, req.offset + i, Date.now());
      return buf;
    });
    const h = headers();
    h.set(Header.status, bodies.length > 0 ? PullStatus.FOUND : PullStatus.NO_NEW_MSG);
    h.set(Header.nextOffset, String(req.offset + bodies.length));
    h.set(Header.minOffset, "0");
    h.set(Header.maxOffset, "1000");
    h.set(Header.group, this.group);
    if (readFrom) h.set(Header.readFrom, readFrom);
    const respond = () => m.respond(Buffer.concat(records), { headers: h });
    // Nothing new: held for the request's wait, as a broker's long poll is.
    if (bodies.length === 0 && !readFrom && req.waitMs > 0) setTimeout(respond, req.waitMs);
    else respond();
  }
}
