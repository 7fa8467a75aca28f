// The consumer group of a group-scoped API (offset.commit.<cg>,
// client.heartbeat.<cg>, client.unregister.<cg>) is the last token of its
// subject, the part NATS permissions grant per group. A payload naming
// another group is refused: whoever may publish for billing cannot commit
// or join for shipping by writing "shipping" in the body.
import type { Msg } from "@nats-io/transport-node";
import { ErrorCode, isSystemGroup, RbusError } from "../src/protocol/index.js";

/** NO_PERMISSION for a broker service's own progress group: no client commits, resets or joins it. */
export function refuseSystemGroup(group: string): void {
  if (isSystemGroup(group)) {
    throw new RbusError(ErrorCode.NO_PERMISSION, `consumer group "${group}" holds a broker service's progress; no client commits, resets or joins it`, { group });
  }
}

/** The subject's consumer group when the payload's `group` is the same; FORBIDDEN otherwise, NO_PERMISSION for a system group. */
export function scopedGroup(msg: Msg, payloadGroup: string): string {
  const scope = msg.subject.slice(msg.subject.lastIndexOf(".") + 1);
  refuseSystemGroup(payloadGroup);
  if (scope !== payloadGroup) {
    throw new RbusError(ErrorCode.FORBIDDEN, `the request names group "${payloadGroup}" but was sent on ${msg.subject}, the subject of "${scope}"`, {
      group: payloadGroup,
      subjectGroup: scope,
    });
  }
  return scope;
}
