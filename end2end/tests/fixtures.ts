import { test as base, expect, Page, ConsoleMessage } from "@playwright/test";
import { spawn, ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer, connect } from "node:net";
import path from "node:path";

const repo = path.resolve(__dirname, "..", "..");
const binary = process.env.WARDEN_BIN ?? path.join(repo, "target", "debug", "warden");
const siteRoot = process.env.WARDEN_SITE_ROOT ?? path.join(repo, "target", "site");
export const screenshotDir = path.join(__dirname, "..", "screenshots");

export const ADMIN = {
  username: "first_admin",
  fullName: "Ada Lovelace",
  email: "ada@example.com",
  password: "Sup3r-secret",
};

export interface Warden {
  baseURL: string;
  setupLink: string;
  /** The SMTP server Warden sends through, when the test asked for email (`test.use({ email: true })`). */
  mail?: MailServer;
}

/** One message as the SMTP server received it, decoded (server/tests/common/smtp_recorder.py). */
export interface Mail {
  rcpt_tos: string[];
  from: string;
  to: string;
  subject: string;
  text: string | null;
  html: string | null;
}

/** A real SMTP server (aiosmtpd, installed by scripts/setup --for-tests) on a free loopback
 * port, recording what it receives. */
export interface MailServer {
  port: number;
  messages(): Mail[];
  /** Waits until `count` messages have arrived; returns them all. */
  waitFor(count: number): Promise<Mail[]>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

async function startMailServer(): Promise<{ mail: MailServer; stop: () => Promise<void> }> {
  const python = path.join(repo, ".tools", "aiosmtpd", "bin", "python");
  const folder = mkdtempSync(path.join(tmpdir(), "warden-e2e-mail-"));
  const port = await freePort();
  const child = spawn(python, ["-m", "aiosmtpd", "-n", "-l", `127.0.0.1:${port}`, "-c", "smtp_recorder.Recorder", folder], {
    env: { ...process.env, PYTHONPATH: path.join(repo, "server", "tests", "common") },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => { socket.end(); resolve(true); });
      socket.once("error", () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error(`aiosmtpd did not listen on ${port} (run scripts/setup --for-tests)`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const messages = (): Mail[] =>
    readdirSync(folder).filter((f) => f.endsWith(".json")).sort()
      .map((f) => JSON.parse(readFileSync(path.join(folder, f), "utf8")));
  const mail: MailServer = {
    port,
    messages,
    async waitFor(count: number) {
      const until = Date.now() + 15_000;
      while (messages().length < count) {
        if (Date.now() > until) throw new Error(`expected ${count} messages, got ${messages().length}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return messages();
    },
  };
  const stop = async () => {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    rmSync(folder, { recursive: true, force: true });
  };
  return { mail, stop };
}

/** Starts a Warden with an empty SQLite database on a free port; resolves once it serves.
 * With `mail`, it sends email through that SMTP server. */
async function startWarden(mail?: MailServer): Promise<{ warden: Warden; stop: () => Promise<void> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "warden-e2e-"));
  const email = mail
    ? { WARDEN_SMTP_URL: `smtp://127.0.0.1:${mail.port}`, WARDEN_MAIL_FROM: "Warden <warden@example.com>" }
    : {};
  const child: ChildProcess = spawn(binary, [], {
    env: {
      ...process.env,
      ...email,
      WARDEN_DATA_DIR: dataDir,
      WARDEN_LISTEN: "127.0.0.1:0",
      LEPTOS_SITE_ROOT: siteRoot,
      WARDEN_LOG: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const warden = await new Promise<Warden>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Warden did not start:\n${output}`)), 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const link = output.match(/(http:\/\/127\.0\.0\.1:\d+)\/setup\?token=[A-Za-z0-9_-]+/);
      if (link) {
        clearTimeout(timer);
        resolve({ baseURL: link[1], setupLink: link[0], mail });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("exit", (code) => reject(new Error(`Warden exited (${code}):\n${output}`)));
  });
  const stop = async () => {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { warden, stop };
}

type Fixtures = {
  /** Whether Warden sends email, through a real SMTP server started for the test. */
  email: boolean;
  warden: Warden;
  shot: (name: string) => Promise<void>;
  consoleProblems: string[];
};

export const test = base.extend<Fixtures>({
  email: [false, { option: true }],
  warden: async ({ email }, use) => {
    const smtp = email ? await startMailServer() : undefined;
    const { warden, stop } = await startWarden(smtp?.mail);
    await use(warden);
    await stop();
    await smtp?.stop();
  },
  baseURL: async ({ warden }, use) => {
    await use(warden.baseURL);
  },
  // Every warning or error the browser logs (hydration mismatches included) fails the test.
  // Chromium also logs each HTTP error status as a console error; the statuses Warden answers
  // on purpose (refused sign-in, invalid form, rate limit) are expected, not problems.
  consoleProblems: async ({ page }, use) => {
    const problems: string[] = [];
    const expectedStatus = /^Failed to load resource: the server responded with a status of (401|403|422|429) /;
    page.on("console", (msg: ConsoleMessage) => {
      if ((msg.type() === "error" || msg.type() === "warning") && !expectedStatus.test(msg.text())) {
        problems.push(`${msg.type()}: ${msg.text()}`);
      }
    });
    page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
    await use(problems);
    expect(problems, "the browser console stays clean").toEqual([]);
  },
  // Saves a full-page screenshot named after the test, numbered in the order taken.
  shot: async ({ page }, use, testInfo) => {
    mkdirSync(screenshotDir, { recursive: true });
    let n = 0;
    const slug = testInfo.title.replace(/[^a-z0-9]+/gi, "-").toLowerCase();
    await use(async (name: string) => {
      n += 1;
      const file = path.join(screenshotDir, `${slug}-${String(n).padStart(2, "0")}-${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
    });
  },
});

/** Waits until the page is interactive (hydrated), so clicks reach Leptos handlers. */
export async function hydrated(page: Page) {
  await page.waitForFunction(() => (window as any).__wardenHydrated === true, null, { timeout: 15_000 });
}

/** Creates the first administrator through the setup form. */
export async function createFirstAdmin(page: Page, warden: Warden) {
  await page.goto(warden.setupLink);
  await hydrated(page);
  await submitSetupForm(page);
}

/** Fills the open setup form with ADMIN and submits it: the sign-in page follows. */
export async function submitSetupForm(page: Page) {
  await page.getByLabel("Username").fill(ADMIN.username);
  await page.getByLabel("Full name").fill(ADMIN.fullName);
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
  await page.getByLabel("Confirm password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Create administrator" }).click();
  await expect(page).toHaveURL(/\/login\?setup=done$/);
}

/** Calls a server function with the page's session, as Warden's own pages do. */
export function api(page: Page, warden: Warden) {
  return (fn: string, form: Record<string, string>) =>
    page.request.post(`/api/${fn}`, { form, headers: { Origin: warden.baseURL } });
}

/** Creates tenant "Acme" with `policy` and an account on the temporary password Temp-pass1;
 * returns the account's id. Needs a platform administrator's session on `page`. */
export async function acmeAccount(page: Page, warden: Warden, tier: string, policy = "optional"): Promise<number> {
  const post = api(page, warden);
  const tenant = await (await post("create_tenant", { name: "Acme", mfa_policy: policy })).json();
  const created = await post("create_account", {
    tier, tenant_id: String(tenant.tenant_id), username: "grace_hopper",
    email: "grace@acme.example", full_name: "Grace Hopper", password: "Temp-pass1",
  });
  expect(created.ok()).toBeTruthy();
  return created.json();
}

/** Signs in through the sign-in page. */
export async function signIn(page: Page, username = ADMIN.username, password = ADMIN.password) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Signs out through the account menu. */
export async function signOut(page: Page) {
  await page.locator(".account-menu summary").click();
  await page.getByRole("menuitem", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
}

/** On the page that holds a new account until it chooses its own password: replaces
 * `temporary` with `own`. */
export async function chooseOwnPassword(page: Page, temporary: string, own: string) {
  await expect(page).toHaveURL(/\/change-password$/);
  await hydrated(page);
  await page.getByLabel("Current password").fill(temporary);
  await page.getByLabel("New password", { exact: true }).fill(own);
  await page.getByLabel("Confirm new password").fill(own);
  await page.getByRole("button", { name: "Change password" }).click();
}

export { expect };
