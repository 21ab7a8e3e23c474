import { test, expect, hydrated, createFirstAdmin, ADMIN } from "./fixtures";

test("first run: the setup link creates the first administrator, with field errors on the way", async ({ page, warden, shot, consoleProblems }) => {
  await page.goto(warden.setupLink);
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Create the first administrator" })).toBeVisible();
  await shot("setup-form");

  // The shared rules answer as soon as a field is left…
  await page.getByLabel("Username").fill("ab-c");
  await page.getByLabel("Full name").focus();
  await expect(page.getByText("Use only letters A–Z, digits 0–9 and underscores (_).")).toBeVisible();
  await expect(page.getByLabel("Username")).toHaveAttribute("aria-invalid", "true");

  // …and the server, with the same rules, for everything submitted.
  await page.getByLabel("Email").fill("a..b@example.com");
  await page.getByLabel("Password", { exact: true }).fill("short");
  await page.getByLabel("Confirm password").fill("short");
  await page.getByRole("button", { name: "Create administrator" }).click();
  await expect(page.getByText("Some fields need correcting: each one says what to change.")).toBeVisible();
  await expect(page.getByText("Enter a full name.")).toBeVisible();
  await expect(page.getByText("An email address cannot contain two dots in a row (..).")).toBeVisible();
  await expect(page.getByText("Use 8 to 30 characters (this has 5).")).toBeVisible();
  await shot("setup-field-errors");

  await page.getByLabel("Username").fill(ADMIN.username);
  await page.getByLabel("Full name").fill(ADMIN.fullName);
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
  await page.getByLabel("Confirm password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Create administrator" }).click();
  await expect(page).toHaveURL(/\/login\?setup=done$/);
  await expect(page.getByText("Your administrator account is ready.")).toBeVisible();
  await shot("login-after-setup");

  // The link works once.
  await page.goto(warden.setupLink);
  await expect(page.getByRole("heading", { name: "This setup link no longer works" })).toBeVisible();
  await shot("setup-link-used");
});
