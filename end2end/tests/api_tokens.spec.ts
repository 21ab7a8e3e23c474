import { test, expect, hydrated, createFirstAdmin, signIn, Warden } from "./fixtures";
import { Page } from "@playwright/test";

/** Calls a server function with the page's session, as the console does. */
async function post(page: Page, warden: Warden, fn: string, form: Record<string, string>) {
  const res = await page.request.post(`/api/${fn}`, { form, headers: { Origin: warden.baseURL } });
  expect(res.ok(), `${fn}: ${res.status()} ${await res.text()}`).toBeTruthy();
  return res.json();
}

test("an administrator gives a service account a token, the API accepts it, and refuses it once revoked", async ({ page, warden, shot, consoleProblems, playwright }) => {
  await createFirstAdmin(page, warden);
  await signIn(page);
  await expect(page.getByRole("heading", { name: "Welcome, Ada" })).toBeVisible();
  const tenant = await post(page, warden, "create_tenant", { name: "Acme", mfa_policy: "optional" });
  const id = await post(page, warden, "create_account", {
    tier: "service_account", tenant_id: String(tenant.tenant_id), username: "hr_sync",
    email: "hr-sync@acme.example", full_name: "HR sync",
  });

  await page.goto(`/users/${id}`);
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "API tokens" })).toBeVisible();
  await expect(page.getByText("No tokens yet.")).toBeVisible();
  // A service account never signs in to the console: no MFA or sessions to manage.
  await expect(page.getByRole("heading", { name: "Sign-in security" })).toHaveCount(0);
  await shot("service-account-no-tokens");

  // A name is required, and the field says so.
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByLabel("Token name")).toHaveAttribute("aria-invalid", "true");

  await page.getByLabel("Token name").fill("HR sync");
  await page.getByRole("button", { name: "Create token" }).click();
  const shown = page.getByLabel("New token");
  await expect(shown).toHaveValue(/^wdn_[0-9A-Za-z]{36}$/);
  const token = await shown.inputValue();
  // The form is empty again, ready for another token.
  await expect(page.getByLabel("Token name")).toHaveValue("");
  await expect(page.getByRole("row", { name: /HR sync/ })).toContainText(token.slice(0, 8));
  await expect(page.getByRole("row", { name: /HR sync/ })).toContainText("Never");
  await shot("service-account-token-created");

  // The API answers to the token, and not to the console's session.
  const api = await playwright.request.newContext({ baseURL: warden.baseURL });
  const me = await api.get("/api/v1/me", { headers: { Authorization: `Bearer ${token}` } });
  expect(me.status(), await me.text()).toBe(200);
  expect((await me.json()).username).toBe("hr_sync");
  const withCookie = await page.request.get("/api/v1/me");
  expect(withCookie.status()).toBe(401);

  // The page shows when it was last used; revoking it ends it at the next call.
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole("row", { name: /HR sync/ })).toContainText("127.0.0.1");
  await page.getByRole("button", { name: "Revoke HR sync" }).click();
  await expect(page.getByRole("row", { name: /HR sync/ })).toContainText("Revoked");
  await shot("service-account-token-revoked");
  const after = await api.get("/api/v1/me", { headers: { Authorization: `Bearer ${token}` } });
  expect(after.status()).toBe(401);

  // Client credentials: generated once, shown once.
  await page.getByRole("button", { name: "Generate client secret" }).click();
  await expect(page.getByLabel("New client secret")).toHaveValue(/^wds_/);
  await shot("service-account-client-secret");
});
