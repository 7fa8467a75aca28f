// A real browser for a test: Debian's chromium driven by playwright-core,
// which never downloads a browser of its own. A missing chromium FAILS the
// test with the command that installs it (no silent skip, in CI or not).
// Every request the page makes is recorded (for "nothing loaded from
// outside"), with its console errors; screenshots go under
// test-output/<suite>/, printed when the browser closes.
import { accessSync, constants, mkdirSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";

const repo = fileURLToPath(new URL("../../../", import.meta.url));

/** Where a suite's screenshots go (gitignored). */
export const outputDir = (suite: string) => join(repo, "test-output", suite);

const executable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The chromium to drive: $CHROMIUM (a path or a command name) or /usr/bin/chromium; throws saying how to install it. */
export function chromiumPath(): string {
  const wanted = process.env.CHROMIUM || "/usr/bin/chromium";
  const candidates = wanted.includes("/") ? [resolve(wanted)] : (process.env.PATH ?? "").split(delimiter).map((d) => join(d, wanted));
  const found = candidates.find(executable);
  if (found) return found;
  throw new Error(
    `chromium is not installed (looked for ${wanted}${process.env.CHROMIUM ? ", from $CHROMIUM" : ""}). ` +
      "Install it with `sudo apt-get install -y chromium` (`make test` does it when run as root, through scripts/ensure-chromium.sh), " +
      "or point CHROMIUM at a Chromium binary.",
  );
}

export interface BrowserSession {
  page: Page;
  /** Every URL the page asked for (documents, scripts, styles, fonts, fetches, event streams, websockets), in order. */
  requests: string[];
  /** Console errors and uncaught page errors. */
  consoleErrors: string[];
  /** Requests to anywhere but `origin` (data: and blob: URLs are the page's own). */
  foreignRequests(origin: string): string[];
  /** Saves a full-window PNG as <outputDir>/<name>.png and returns its path. */
  screenshot(name: string): Promise<string>;
  /** Closes the browser and prints where the screenshots are. */
  close(): Promise<void>;
}

export async function openBrowser(suite: string, viewport = { width: 1280, height: 800 }): Promise<BrowserSession> {
  const executablePath = chromiumPath();
  const dir = outputDir(suite);
  mkdirSync(dir, { recursive: true });
  const browser: Browser = await chromium.launch({ executablePath, headless: true, args: ["--headless", "--no-sandbox"] });
  const shots: string[] = [];
  try {
    const context = await browser.newContext({ viewport });
    const requests: string[] = [];
    const consoleErrors: string[] = [];
    context.on("request", (r) => void requests.push(r.url()));
    const page = await context.newPage();
    page.on("websocket", (ws) => void requests.push(ws.url()));
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(`${m.text()} (${m.location().url}:${m.location().lineNumber})`);
    });
    page.on("pageerror", (err) => void consoleErrors.push(`uncaught: ${err.message}`));
    return {
      page,
      requests,
      consoleErrors,
      foreignRequests: (origin) => requests.filter((u) => !/^(data|blob):/.test(u) && !sameOrigin(u, origin)),
      async screenshot(name) {
        const path = join(dir, `${name}.png`);
        await page.screenshot({ path });
        shots.push(path);
        return path;
      },
      async close() {
        await browser.close();
        if (shots.length > 0) console.log(`    screenshots in ${dir}: ${shots.map((s) => s.slice(dir.length + 1)).join(", ")}`);
      },
    };
  } catch (err) {
    await browser.close();
    throw err;
  }
}

function sameOrigin(url: string, origin: string): boolean {
  try {
    const u = new URL(url);
    // an event stream's or websocket's origin is its http one
    return `${u.protocol.replace(/^ws/, "http")}//${u.host}` === new URL(origin).origin;
  } catch {
    return false;
  }
}
