import { test, expect, hydrated, createFirstAdmin, signIn, api } from "./fixtures";

test("a tenant set to Modern explains its rule in each form and refuses a guessable password under the field", async ({ page, warden, shot, consoleProblems }) => {
  await createFirstAdmin(page, warden);
  await signIn(page);
  await expect(page.getByRole("heading", { name: "Welcome, Ada" })).toBeVisible();

  // The tenant form: each preset explained; Modern always refuses guessable passwords.
  await page.goto("/tenants");
  await hydrated(page);
  await expect(page.getByText("Modern (ASVS 5.0): at least 15 characters")).toBeVisible();
  const guessable = page.getByLabel("Refuse guessable passwords");
  await expect(guessable).not.toBeChecked();
  await page.getByLabel("Name").fill("Acme");
  await page.getByLabel("Password policy").selectOption("modern");
  await expect(guessable).toBeChecked();
  await expect(guessable).toBeDisabled();
  await shot("tenant-password-policy");
  await page.getByRole("button", { name: "Create tenant" }).click();
  await expect(page.getByRole("row", { name: /Acme/ })).toContainText("Modern (ASVS)");
  // The emptied form is ready for the next tenant: Default, the check free to choose.
  await expect(page.getByLabel("Password policy")).toHaveValue("default");
  await expect(guessable).not.toBeChecked();
  await expect(guessable).toBeEnabled();

  // The new-account form follows the chosen tenant's policy.
  await page.goto("/users/new");
  await hydrated(page);
  const hint = page.locator("#field-password-hint");
  await expect(hint).toContainText("Choose a tenant: its password policy applies.");
  await page.getByLabel("Tenant").selectOption({ label: "Acme" });
  await expect(hint).toContainText("15–128 characters, any characters");
  await page.getByLabel("Temporary password").fill("Temp-pass1");
  await page.getByLabel("Temporary password").blur();
  await expect(page.getByText("Use 15 to 128 characters (this has 10).")).toBeVisible();
  await shot("new-account-modern-policy");

  const tenants = await (await api(page, warden)("list_tenants", {})).json();
  const created = await api(page, warden)("create_account", {
    tier: "user", tenant_id: String(tenants[0].tenant_id), username: "grace_hopper",
    email: "grace@acme.example", full_name: "Grace Hopper", password: "Temporary-tulip-9",
  });
  expect(created.ok()).toBeTruthy();

  // Grace chooses her own: the page says the rule; the server refuses a guessable one.
  await page.context().clearCookies();
  await signIn(page, "grace_hopper", "Temporary-tulip-9");
  await expect(page).toHaveURL(/\/change-password$/);
  await hydrated(page);
  await expect(page.locator("#field-new_password-hint")).toContainText("15–128 characters, any characters");
  await page.getByLabel("Current password").fill("Temporary-tulip-9");
  await page.getByLabel("New password", { exact: true }).fill("Password123!!!!");
  await page.getByLabel("Confirm new password").fill("Password123!!!!");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.locator("#field-new_password-error")).toContainText("This password is too easy to guess:");
  await shot("change-password-guessable");

  await page.getByLabel("New password", { exact: true }).fill("quiet tulip ladder orbit");
  await page.getByLabel("Confirm new password").fill("quiet tulip ladder orbit");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("heading", { name: "Welcome, Grace" })).toBeVisible();
});
