#!/usr/bin/env node
// rbus: run Rocketbus nodes and talk to a running cluster. Exit codes: 0 ok,
// 1 error, 2 usage (commander's parse errors and the commands' UsageError).
import { CommanderError, type Command } from "commander";
import { RbusError } from "../protocol/index.js";
import { permissionHint } from "../runtime/nats.js";
import { UsageError } from "./args.js";
import { program } from "./program.js";

const rbus = program();
let running: Command = rbus;
rbus.hook("preAction", (_, action) => void (running = action));
for (const c of all(rbus)) {
  c.exitOverride();
  // "unknown command 'x'" reads as the rest of rbus's messages do, in double quotes.
  c.configureOutput({ outputError: (text, write) => write(text.replace(/^error: unknown command '([^']*)'/, 'error: unknown command "$1"')) });
}

function all(c: Command): Command[] {
  return [c, ...c.commands.flatMap(all)];
}

/** rbus topic create, for messages. */
function pathOf(c: Command): string {
  const names: string[] = [];
  for (let x: Command | null = c; x; x = x.parent) names.unshift(x.name());
  return names.join(" ");
}

// `rbus help topic create` is `rbus topic create --help` (commander's help command looks one level deep).
const argv = process.argv.slice(2);
const args = argv[0] === "help" && argv.length > 2 ? [...argv.slice(1), "--help"] : argv;

rbus.parseAsync(args, { from: "user" }).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // commander printed it already: help asked for and --version succeed, every other case is a usage error
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  if (err instanceof UsageError) {
    const path = pathOf(running);
    console.error(`${path}: ${err.message}\nusage: ${path} ${running.usage()}\n(${path === "rbus" ? "rbus --help" : `rbus help ${path.slice(5)}`} shows every flag)`);
    process.exit(2);
  }
  const code = err instanceof RbusError ? `${err.code}: ` : "";
  const message = err instanceof Error ? err.message : String(err);
  const hint = permissionHint(message);
  console.error(`rbus: ${code}${message}${hint ? `\n${hint}` : ""}`);
  process.exit(1);
});
