// Subscription expressions as RocketMQ writes them ("*" or "a || b"), checked
// before a consumer joins: parseTagExpression reads what it can and drops
// empty tags, so "created ||" would silently mean "created" alone.
import { parseTagExpression } from "../protocol/index.js";
import { UsageError } from "./args.js";

export function checkTagExpression(expr: string): string {
  const parts = expr.split("||").map((t) => t.trim());
  if (parts.some((t) => t === "")) {
    throw new UsageError(`--tags "${expr}": an empty tag (a "||" with nothing on one side); write "*" for every message or "a || b" for either tag`);
  }
  const bad = parts.find((t) => t !== "*" && /[\s*]/.test(t));
  if (bad !== undefined) throw new UsageError(`--tags "${expr}": "${bad}" is not a tag (tags hold no spaces or "*"); separate tags with ||`);
  if (parts.length > 1 && parts.includes("*")) throw new UsageError(`--tags "${expr}": "*" already takes every message; give it alone`);
  parseTagExpression(expr);
  return expr;
}
