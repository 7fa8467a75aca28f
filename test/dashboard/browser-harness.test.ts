// The browser harness on a tiny page of its own: chromium starts, the
// request log sees a script and a style from another origin (so the
// dashboard's "nothing from outside" check can fail), console errors are
// caught, and a screenshot lands in the test's output folder.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { existsSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { openBrowser, type BrowserSession } from "../harness/browser.js";

const test = suite<{ site: Server; other: Server; origin: string; otherOrigin: string; browser: BrowserSession }>("browser harness");

const listen = async (page: (origin: string) => string): Promise<[Server, string]> => {
  const server = createServer((req, res) => {
    const type = req.url?.endsWith(".js") ? "text/javascript" : req.url?.endsWith(".css") ? "text/css" : "text/html";
    res.writeHead(200, { "content-type": type }).end(req.url === "/" ? page(origin) : req.url === "/app.js" ? 'console.error("drawn badly")' : "");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return [server, origin];
};

test.before(async (ctx) => {
  [ctx.other, ctx.otherOrigin] = await listen(() => "");
  [ctx.site, ctx.origin] = await listen(
    () => `<!doctype html><link rel="stylesheet" href="${ctx.otherOrigin}/cdn.css"><main data-ready="true">hi</main><script src="/app.js"></script>`,
  );
});

test.after(async (ctx) => {
  await ctx.browser?.close();
  ctx.site?.close();
  ctx.other?.close();
});

test("records the page's requests, its console errors, and what came from elsewhere", async (ctx) => {
  ctx.browser = await openBrowser("browser-harness");
  const { page } = ctx.browser;
  await page.goto(ctx.origin);
  await page.waitForSelector('main[data-ready="true"]', { timeout: 5000 });
  await page.waitForLoadState("load");
  assert.ok(ctx.browser.requests.includes(`${ctx.origin}/app.js`), ctx.browser.requests.join("\n"));
  assert.equal(ctx.browser.foreignRequests(ctx.origin), [`${ctx.otherOrigin}/cdn.css`]);
  assert.ok(ctx.browser.consoleErrors.some((e) => e.startsWith("drawn badly")), ctx.browser.consoleErrors.join("\n"));
});

test("saves a screenshot under test-output/<suite>/", async (ctx) => {
  assert.ok(ctx.browser, "the browser started");
  const path = await ctx.browser.screenshot("tiny-page");
  assert.match(path, /test-output\/browser-harness\/tiny-page\.png$/);
  assert.ok(existsSync(path) && statSync(path).size > 1000);
});

test.run();
