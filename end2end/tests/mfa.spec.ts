import { request as playwrightRequest, Locator } from "@playwright/test";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { base32Decode, totp } from "./totp";
import { test, expect, hydrated, createFirstAdmin, signIn, acmeAccount, ADMIN, signOut, chooseOwnPassword } from "./fixtures";

/** Reads the QR code drawn in `element`, as a phone's camera would: from its pixels. */
async function scanQr(element: Locator): Promise<string> {
  const png = PNG.sync.read(await element.screenshot());
  const found = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  if (!found) throw new Error("no QR code found in the picture");
  return found.data;
}

const stepNow = () => Math.floor(Date.now() / 1000 / 30);

/** A phone: gives codes of steps not used yet (the server takes each step once). */
class Authenticator {
  private used = 0;
  constructor(private key: Buffer) {}
  code(): string {
    const step = Math.max(stepNow(), this.used + 1);
    if (step > stepNow() + 1) throw new Error("no unused step left: the test ran too fast");
    this.used = step;
    return totp(this.key, step);
  }
}

test("a person enrols from the key on the page, signs in with a code, and recovers with a recovery code", async ({ page, warden, shot, consoleProblems }) => {
  await createFirstAdmin(page, warden);
  await signIn(page);
  await expect(page.getByRole("heading", { name: "Welcome, Ada" })).toBeVisible();
  await hydrated(page);

  await page.locator(".account-menu summary").click();
  await page.getByRole("menuitem", { name: "Multi-factor authentication" }).click();
  await expect(page.getByRole("heading", { name: "Multi-factor authentication" })).toBeVisible();
  await hydrated(page);
  await expect(page.getByText("You sign in with your password only.")).toBeVisible();
  await shot("mfa-off");

  await page.getByRole("button", { name: "Set up MFA" }).click();
  const qr = page.getByRole("img", { name: /QR code/ });
  await expect(qr).toBeVisible();
  await expect(qr.locator("svg")).toBeVisible();
  const shownKey = (await page.locator("#mfa-key").textContent()) ?? "";
  expect(shownKey).toMatch(/^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/);
  // The phone scans the picture: it holds the otpauth address of this account and key.
  const text = await scanQr(qr);
  expect(text.startsWith("otpauth://totp/Warden:first_admin?")).toBeTruthy();
  const scanned = new URL(text);
  expect(scanned.searchParams.get("secret")).toBe(shownKey.replace(/ /g, ""));
  expect(scanned.searchParams.get("issuer")).toBe("Warden");
  expect(scanned.searchParams.get("digits")).toBe("6");
  expect(scanned.searchParams.get("period")).toBe("30");
  expect(scanned.searchParams.get("algorithm")).toBe("SHA1");
  const phone = new Authenticator(base32Decode(scanned.searchParams.get("secret") ?? ""));
  await shot("enrol-qr-code");

  // A wrong code is refused and nothing turns on.
  const first = phone.code();
  const wrong = first === "000000" ? "111111" : "000000";
  await page.getByLabel("Code", { exact: true }).fill(wrong);
  await page.getByLabel("Your current password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Turn on MFA" }).click();
  await expect(page.getByText(/That code is not right/)).toBeVisible();
  await shot("enrol-wrong-code");

  await page.getByLabel("Code", { exact: true }).fill(first);
  await page.getByLabel("Your current password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Turn on MFA" }).click();
  await expect(page.getByRole("heading", { name: "Your recovery codes" })).toBeVisible();
  const recovery = await page.getByRole("list", { name: "Recovery codes" }).locator("code").allTextContents();
  await expect(page.getByText("You sign in with your password only.")).toBeHidden();
  await page.evaluate(() => window.scrollTo(0, 0));
  expect(recovery).toHaveLength(10);
  for (const code of recovery) expect(code).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
  await shot("recovery-codes");

  // Signed out everywhere: sign in again, now in two steps.
  await page.getByRole("link", { name: /sign in again/ }).click();
  await expect(page).toHaveURL(/\/login\?mfa=on$/);
  await hydrated(page);
  await expect(page.getByText("Multi-factor authentication is on.")).toBeVisible();
  await shot("sign-in-again");
  await page.getByLabel("Username").fill("first_admin");
  await page.getByLabel("Password").fill("Sup3r-secret");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Enter your code" })).toBeVisible();
  await shot("code-step");
  const second = phone.code();
  await page.getByLabel("Code", { exact: true }).fill(second);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("heading", { name: "Welcome, Ada" })).toBeVisible();
  await page.goto("/mfa");
  await expect(page.getByText(/since .*You sign in with your password and a code/)).toBeVisible();
  await shot("mfa-on");

  // The same code again, in a new sign-in: refused.
  await signOut(page);
  await signIn(page);
  await expect(page.getByRole("heading", { name: "Enter your code" })).toBeVisible();
  await page.getByLabel("Code", { exact: true }).fill(second);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByText("That code has been used already. Wait for the next code from your app.")).toBeVisible();
  await expect(page.getByRole("alert").filter({ hasText: "Some fields need correcting" })).toHaveCount(0);
  await shot("replayed-code-refused");

  // Phone lost: a recovery code signs in, once, and says how many are left.
  await page.getByLabel("Code", { exact: true }).fill(recovery[0]);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page).toHaveURL(/\/mfa\?recovery_codes_left=9$/);
  await expect(page.getByText(/You signed in with a recovery code; 9 are left/)).toBeVisible();
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot("signed-in-with-recovery-code");
});

test("an administrator turns MFA off for someone who lost their device, and ends their sessions", async ({ page, warden, shot, consoleProblems }) => {
  await createFirstAdmin(page, warden);
  await signIn(page);
  await expect(page.getByRole("heading", { name: "Welcome, Ada" })).toBeVisible();
  const graceId = await acmeAccount(page, warden, "user");

  // Grace, in her own browser: chooses her password and turns MFA on.
  const grace = await playwrightRequest.newContext({ baseURL: warden.baseURL, extraHTTPHeaders: { Origin: warden.baseURL } });
  const as = (fn: string, form: Record<string, string>) => grace.post(`/api/${fn}`, { form });
  expect((await as("sign_in", { username: "grace_hopper", password: "Temp-pass1" })).ok()).toBeTruthy();
  expect((await as("change_password", {
    current_password: "Temp-pass1", new_password: "Hopper-own-1", new_password_confirmation: "Hopper-own-1",
  })).ok()).toBeTruthy();
  const shown = await (await as("begin_mfa_enrolment", {})).json();
  const phone = new Authenticator(base32Decode(shown.key));
  expect((await as("confirm_mfa_enrolment", { code: phone.code(), current_password: "Hopper-own-1" })).ok()).toBeTruthy();
  // Signed in again, with MFA.
  expect(await (await as("sign_in", { username: "grace_hopper", password: "Hopper-own-1" })).json()).toBe("Code");
  expect((await as("sign_in_code", { code: phone.code() })).status()).toBeLessThan(400);
  expect((await (await as("session", {})).json()).mfa_session).toBe(true);

  await page.goto(`/users/${graceId}`);
  await hydrated(page);
  const security = page.getByRole("region", { name: "Sign-in security" });
  await expect(security.getByText(/^On since /)).toBeVisible();
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot("account-mfa-on");

  await security.getByRole("button", { name: "Turn off MFA…" }).click();
  await expect(security.getByText(/Turn MFA off for grace_hopper\?/)).toBeVisible();
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot("account-mfa-confirm");
  await security.getByRole("button", { name: "Turn off MFA", exact: true }).click();
  await expect(page.getByRole("region", { name: "Sign-in security" }).getByText("Off", { exact: true })).toBeVisible();

  // Grace's session still works; ending her sessions stops it at once.
  expect(await (await as("session", {})).json()).not.toBeNull();
  await page.getByRole("button", { name: "End all sessions" }).click();
  await expect(page.getByText("All sessions ended.")).toBeVisible();
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot("account-sessions-ended");
  expect(await (await as("session", {})).json()).toBeNull();
  // And she signs in with her password alone again.
  expect((await as("sign_in", { username: "grace_hopper", password: "Hopper-own-1" })).ok()).toBeTruthy();
  expect((await (await as("session", {})).json()).mfa_session).toBe(false);
  await grace.dispose();

  // The audit trail names both.
  await page.goto("/audit");
  const records = page.locator("table");
  await expect(records.getByText("MFA turned off").first()).toBeVisible();
  await expect(records.getByText("Sessions ended by an administrator").first()).toBeVisible();
  await shot("audit");
});

test("where the tenant requires MFA, a new account sets it up before anything else", async ({ page, warden, shot, consoleProblems }) => {
  await createFirstAdmin(page, warden);
  await signIn(page);
  await expect(page.getByRole("heading", { name: "Welcome, Ada" })).toBeVisible();
  await acmeAccount(page, warden, "tenant_admin", "required");
  await signOut(page);

  // First the temporary password, then MFA, then the console.
  await signIn(page, "grace_hopper", "Temp-pass1");
  await chooseOwnPassword(page, "Temp-pass1", "Hopper-own-1");
  await expect(page).toHaveURL(/\/mfa$/);
  await expect(page.getByRole("heading", { name: "Set up multi-factor authentication" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Main" })).toHaveCount(0);
  await shot("enrolment-required");
  // Nothing else opens meanwhile.
  await page.goto("/users");
  await expect(page).toHaveURL(/\/mfa$/);
  await hydrated(page);

  await page.getByRole("button", { name: "Set up MFA" }).click();
  const phone = new Authenticator(base32Decode((await page.locator("#mfa-key").textContent()) ?? ""));
  await shot("enrolment-required-qr-code");
  await page.getByLabel("Code", { exact: true }).fill(phone.code());
  await page.getByLabel("Your current password").fill("Hopper-own-1");
  await page.getByRole("button", { name: "Turn on MFA" }).click();
  await expect(page.getByRole("heading", { name: "Your recovery codes" })).toBeVisible();
  await page.getByRole("link", { name: /sign in again/ }).click();
  await expect(page).toHaveURL(/\/login\?mfa=on$/);
  await hydrated(page);
  await page.getByLabel("Username").fill("grace_hopper");
  await page.getByLabel("Password").fill("Hopper-own-1");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Code", { exact: true }).fill(phone.code());
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("heading", { name: "Welcome, Grace" })).toBeVisible();
  // Required: it stays on.
  await page.goto("/mfa");
  await expect(page.getByText(/MFA is required for your account/)).toBeVisible();
  await expect(page.getByRole("button", { name: "Turn off MFA" })).toHaveCount(0);
  await shot("mfa-required-on");
});
