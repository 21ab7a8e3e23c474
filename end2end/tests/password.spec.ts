import { test, expect, hydrated, createFirstAdmin, signIn, acmeAccount, signOut } from "./fixtures";

test("the first sign-in with a temporary password asks for a new one", async ({ page, warden, shot, consoleProblems }) => {
  await createFirstAdmin(page, warden);
  await signIn(page);
  await expect(page.getByRole("heading", { name: "Welcome, Ada" })).toBeVisible();
  // Arrange a tenant and an account on a temporary password, as the console's server
  // functions do (the users pages come next).
  const post = (fn: string, form: Record<string, string>) =>
    page.request.post(`/api/${fn}`, { form, headers: { Origin: warden.baseURL } });
  const tenant = await (await post("create_tenant", { name: "Acme", mfa_policy: "optional" })).json();
  const created = await post("create_account", {
    tier: "tenant_admin", tenant_id: String(tenant.tenant_id), username: "grace_hopper",
    email: "grace@acme.example", full_name: "Grace Hopper", password: "Temp-pass1",
  });
  expect(created.ok()).toBeTruthy();
  await signOut(page);

  await signIn(page, "grace_hopper", "Temp-pass1");
  await expect(page).toHaveURL(/\/change-password$/);
  await expect(page.getByRole("heading", { name: "Choose your own password" })).toBeVisible();
  await hydrated(page);
  await shot("choose-password");

  await page.getByLabel("Current password").fill("Temp-pass1");
  await page.getByLabel("New password", { exact: true }).fill("Temp-pass1");
  await page.getByLabel("Confirm new password").fill("Temp-pass1");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByText("Choose a password different from the current one.")).toBeVisible();
  await shot("choose-password-error");

  await page.getByLabel("New password", { exact: true }).fill("Hopper-own-1");
  await page.getByLabel("Confirm new password").fill("Hopper-own-1");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("heading", { name: "Welcome, Grace" })).toBeVisible();
  await expect(page.getByRole("row", { name: /User.*Can manage/ })).toBeVisible();
  await shot("overview-after-password-change");

  // From the profile, anyone can change their password again.
  await page.goto("/profile");
  await page.getByRole("link", { name: "Change password" }).click();
  await expect(page.getByRole("heading", { name: "Change your password" })).toBeVisible();
  await shot("change-password");
});

test("someone held on the temporary-password page can sign out instead", async ({ page, warden, shot, consoleProblems }) => {
  await createFirstAdmin(page, warden);
  await signIn(page);
  await expect(page.getByRole("heading", { name: "Welcome, Ada" })).toBeVisible();
  await acmeAccount(page, warden, "user");
  await signOut(page);

  await signIn(page, "grace_hopper", "Temp-pass1");
  await expect(page).toHaveURL(/\/change-password$/);
  await hydrated(page);
  await shot("held-on-choose-password");
  await page.getByRole("button", { name: "Not now: sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  await shot("signed-out");
});
