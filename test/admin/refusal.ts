// The typed error a request is refused with: a test that expects a refusal
// fails when the request is answered instead.
import { RbusError } from "../../src/protocol/index.js";

export async function refusal(p: Promise<unknown>): Promise<RbusError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RbusError) return err;
    throw err;
  }
  throw new Error("expected a refusal, got an answer");
}
