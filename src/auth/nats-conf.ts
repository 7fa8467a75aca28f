// What run-cluster and the tests need to know of a nats.conf: the accounts
// file it includes (the one `rbus auth init` must write).
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

const INCLUDE = /^\s*include\s+"?([^"\s]*accounts\.conf)"?\s*$/m;

/** The accounts file `configFile` includes, resolved as nats-server does (from the including file's folder); undefined when none. */
export function includedAccounts(configFile: string): string | undefined {
  const m = INCLUDE.exec(readFileSync(configFile, "utf8"));
  return m ? resolve(dirname(configFile), m[1]!) : undefined;
}

/**
 * The same config with its accounts include pointing at `accountsFile`,
 * relative to the config's folder: nats-server 2.9 joins even an absolute
 * include path to that folder.
 */
export function withAccountsInclude(conf: string, accountsFile: string): string {
  if (!INCLUDE.test(conf)) throw new Error(`nats.conf includes no accounts.conf`);
  return conf.replace(INCLUDE, `include ${JSON.stringify(accountsFile)}`);
}
