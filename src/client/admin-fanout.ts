// One admin request to several brokers' masters at once, with "not here"
// answers told apart from failures: a topic or consumer group lives on some
// broker groups and not others, so TOPIC_NOT_EXIST or GROUP_NOT_EXIST from
// one master is no error, but from every master it is, with the nearest
// name any of them suggested.
import { didYouMean, ErrorCode, nearestName, RbusError } from "../protocol/index.js";

/** A master to ask: its broker group and its address (subject prefix). */
export interface MasterAddress {
  group: string;
  address: string;
}

export interface Answered<T> {
  group: string;
  reply: T;
}

/**
 * `ask` on every master. Answers with `absent` (the name is not there) are
 * left out; when every master answered so, that error is thrown, naming the
 * nearest existing name among their hints. Any other error is thrown as is.
 */
export async function fanOut<T>(
  masters: readonly MasterAddress[],
  ask: (m: MasterAddress) => Promise<T>,
  absent: { code: ErrorCode; name: string; what: string },
): Promise<Array<Answered<T>>> {
  const settled = await Promise.all(masters.map((m) => ask(m).then((reply) => ({ group: m.group, reply }), (err: unknown) => ({ group: m.group, err }))));
  const found: Array<Answered<T>> = [];
  const hints: string[] = [];
  for (const s of settled) {
    if ("reply" in s) {
      found.push(s);
      continue;
    }
    const err = s.err;
    if (!(err instanceof RbusError) || err.code !== absent.code) throw err;
    const nearest = err.details?.nearest;
    if (typeof nearest === "string") hints.push(nearest);
  }
  if (found.length > 0 || masters.length === 0) return found;
  throw notAnywhere(absent, hints, masters.length);
}

/** The error for a name no master has: its nearest among the masters' hints. */
export function notAnywhere(absent: { code: ErrorCode; name: string; what: string }, hints: string[], masters: number): RbusError {
  const nearest = nearestName(absent.name, hints);
  const key = absent.code === ErrorCode.TOPIC_NOT_EXIST ? "topic" : "group";
  return new RbusError(absent.code, `${absent.what} "${absent.name}" is not known on any of ${masters} master(s)${didYouMean(nearest)}`, {
    [key]: absent.name,
    ...(nearest === undefined ? {} : { nearest }),
  });
}
