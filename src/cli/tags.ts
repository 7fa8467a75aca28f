// Subscription expressions ("*" or "a || b") checked before a consumer joins,
// by the rule the brokers apply (tagExpressionError): "created ||" is a
// typo that would silently match less than meant.
import { tagExpressionError } from "../protocol/index.js";
import { UsageError } from "./args.js";

export function checkTagExpression(expr: string): string {
  const bad = expr.trim() === "" ? `tag expression "" is empty: write "*" or "tagA || tagB"` : tagExpressionError(expr);
  if (bad !== undefined) throw new UsageError(`--tags: ${bad}`);
  return expr;
}
