import { test, expect, hydrated, createFirstAdmin, signIn, acmeAccount, signOut, chooseOwnPassword } from "./fixtures";

test("a tenant administrator changes its own tenant's policies, and nobody else's", async ({ page, warden, shot, consoleProblems }) => {
  await createFirstAdmin(page, warden);
  await signIn(page);
  await expect(page.getByRole("heading", { name: "Welcome, Ada" })).toBeVisible();
  // A platform administrator configures tenants on the Tenants page: no Settings link.
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" })).toHaveCount(0);
  await acmeAccount(page, warden, "tenant_admin", "optional");
  await signOut(page);

  await signIn(page, "grace_hopper", "Temp-pass1");
  await chooseOwnPassword(page, "Temp-pass1", "Hopper-own-1");
  await expect(page.getByRole("heading", { name: /Welcome/ })).toBeVisible();

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "Tenant settings", exact: true })).toBeVisible();
  await hydrated(page);
  const summary = page.getByRole("region", { name: "Acme" });
  await expect(summary).toContainText("Optional");
  await expect(summary).toContainText("Only platform administrators rename");
  await shot("tenant-settings");

  const form = page.getByRole("form", { name: "Policies" });
  await form.getByLabel("Password policy").selectOption("strict");
  await form.getByLabel("Refuse guessable passwords").check();
  await form.getByRole("button", { name: "Save policies" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await expect(summary).toContainText("Strict, guessable refused");
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot("tenant-settings-saved");

  // Saved on the server: a reload shows the same.
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole("region", { name: "Acme" })).toContainText("Strict, guessable refused");
  await expect(page.getByRole("form", { name: "Policies" }).getByLabel("Password policy")).toHaveValue("strict");
});
