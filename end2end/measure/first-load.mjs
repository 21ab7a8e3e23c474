// What a first visit downloads (issue 14): for the sign-in page (nobody signed in) and the
// users page (signed in), each with an empty browser cache, every response the page loads
// until the network is idle: its size as the server sent it (on the wire, compressed or not),
// its size decoded, and its size gzipped at level 9 (what a pre-compressed asset would be);
// then the time until the page is interactive (the WASM has hydrated it), unthrottled and on
// an emulated slow connection (1.6 Mbps down, 750 kbps up, 150 ms round trip: Chrome's
// "Slow 3G"-like profile, through the DevTools protocol). Last, page-to-page navigation once
// the code is cached: the time from clicking a link of the main navigation to the next page
// being interactive, Users → Overview → Users, the median of several rounds.
//
//   node end2end/measure/first-load.mjs BASE_URL USERNAME PASSWORD [--json FILE]
//
// Run by scripts/measure-first-load, which builds the release site and starts Warden.
import { chromium } from "@playwright/test";
import { gzipSync } from "node:zlib";
import { writeFileSync } from "node:fs";

const [base, username, password] = process.argv.slice(2);
const jsonAt = process.argv.indexOf("--json");
const jsonFile = jsonAt > 0 ? process.argv[jsonAt + 1] : null;
if (!base || !username || !password) {
  console.error("usage: first-load.mjs BASE_URL USERNAME PASSWORD [--json FILE]");
  process.exit(2);
}

const SLOW = { offline: false, latency: 150, downloadThroughput: 200_000, uploadThroughput: 93_750 };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

/** A new browser context (empty cache), signed in when `signedIn`. */
async function freshContext(signedIn) {
  const context = await browser.newContext();
  if (signedIn) {
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    await page.waitForFunction(() => window.__wardenHydrated === true, null, { timeout: 30_000 });
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/login"), { timeout: 30_000 });
    await page.close();
    // The session cookie stays; the cache of what that page loaded goes with a new context
    // holding only the cookie.
    const state = await context.storageState();
    await context.close();
    return browser.newContext({ storageState: state });
  }
  return context;
}

/** Every response of a first visit to `path`, and the time until the page hydrated. */
async function visit(path, signedIn, throttled) {
  const context = await freshContext(signedIn);
  const page = await context.newPage();
  if (throttled) {
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", SLOW);
  }
  const responses = [];
  const pending = [];
  page.on("requestfinished", (request) => pending.push(record(request)));
  async function record(request) {
    const response = await request.response();
    if (!response) return;
    const [sizes, body] = await Promise.all([request.sizes(), response.body().catch(() => Buffer.alloc(0))]);
    responses.push({
      path: new URL(request.url()).pathname,
      type: (response.headers()["content-type"] ?? "").split(";")[0],
      encoding: response.headers()["content-encoding"] ?? "",
      wire: sizes.responseBodySize,
      raw: body.length,
      gzip9: gzipSync(body, { level: 9 }).length,
    });
  }
  const started = Date.now();
  await page.goto(`${base}${path}`);
  await page.waitForFunction(() => window.__wardenHydrated === true, null, { timeout: 120_000 });
  const interactive = Date.now() - started;
  await page.waitForLoadState("networkidle");
  await Promise.all(pending);
  const landed = new URL(page.url()).pathname;
  await context.close();
  return { path, landed, interactive, responses };
}

const kind = (r) =>
  r.type.includes("wasm") ? "wasm" : r.type.includes("javascript") ? "js" : r.type.includes("css") ? "css" : r.type.includes("html") ? "html" : "other";
const kb = (n) => (n / 1024).toFixed(1).padStart(8);

const results = [];
for (const [path, signedIn] of [["/login", false], ["/users", true]]) {
  const fast = await visit(path, signedIn, false);
  const slow = await visit(path, signedIn, true);
  results.push({ ...fast, interactiveSlow: slow.interactive });
  console.log(`\nFirst visit to ${path}${signedIn ? " (signed in)" : ""}${fast.landed !== path ? ` → ${fast.landed}` : ""}`);
  console.log(`  ${"what".padEnd(48)} ${"type".padEnd(5)} ${"wire KB".padStart(8)} ${"raw KB".padStart(8)} ${"gzip-9 KB".padStart(9)}`);
  for (const r of fast.responses.sort((a, b) => b.raw - a.raw)) {
    console.log(`  ${r.path.slice(0, 48).padEnd(48)} ${kind(r).padEnd(5)} ${kb(r.wire)} ${kb(r.raw)} ${kb(r.gzip9)} ${r.encoding}`);
  }
  const sum = (rs, f) => rs.reduce((s, r) => s + f(r), 0);
  const code = fast.responses.filter((r) => ["wasm", "js"].includes(kind(r)));
  console.log(`  ${"all".padEnd(54)} ${kb(sum(fast.responses, (r) => r.wire))} ${kb(sum(fast.responses, (r) => r.raw))} ${kb(sum(fast.responses, (r) => r.gzip9))}`);
  console.log(`  ${"WASM + JS".padEnd(54)} ${kb(sum(code, (r) => r.wire))} ${kb(sum(code, (r) => r.raw))} ${kb(sum(code, (r) => r.gzip9))}`);
  console.log(`  interactive after ${fast.interactive} ms unthrottled, ${slow.interactive} ms at 1.6 Mbps / 150 ms RTT`);
}
/** Page-to-page: click "Overview", then "Users", in the main navigation of a signed-in page
 * whose code is cached; each time until the next page shows its heading and is interactive. */
async function navigation(rounds) {
  const context = await freshContext(true);
  const page = await context.newPage();
  await page.goto(`${base}/users`);
  await page.waitForFunction(() => window.__wardenHydrated === true, null, { timeout: 30_000 });
  const times = [];
  for (let i = 0; i < rounds; i++) {
    for (const [link, heading] of [["Overview", /^Welcome/], ["Users", /^Users$/]]) {
      // A marker on this document: gone after a full page load (the page must then hydrate
      // again), kept by a client-side route change (interactive once it shows).
      await page.evaluate(() => { window.__wardenMarker = true; });
      const started = Date.now();
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: link, exact: true }).click();
      await page.getByRole("heading", { name: heading, level: 1 }).waitFor();
      if (await page.evaluate(() => window.__wardenMarker !== true)) {
        await page.waitForFunction(() => window.__wardenHydrated === true, null, { timeout: 30_000 });
      }
      times.push(Date.now() - started);
    }
  }
  await context.close();
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], max: times[times.length - 1], count: times.length };
}

const nav = await navigation(5);
console.log(`\nPage to page (Users ⇄ Overview, code cached): median ${nav.median} ms, slowest ${nav.max} ms of ${nav.count}`);
await browser.close();
if (jsonFile) writeFileSync(jsonFile, JSON.stringify(results, null, 2));
