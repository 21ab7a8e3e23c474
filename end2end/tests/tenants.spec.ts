import { test, expect, hydrated, createFirstAdmin, signIn } from "./fixtures";

test("a platform administrator creates, disables and deletes a tenant", async ({ page, warden, shot, consoleProblems }) => {
  await createFirstAdmin(page, warden);
  await signIn(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Tenants" }).click();
  await expect(page.getByRole("heading", { name: "Tenants", exact: true })).toBeVisible();
  await hydrated(page);
  await expect(page.getByText("No tenants yet.")).toBeVisible();
  await shot("tenants-empty");

  // A field error first, from the same rule the server applies.
  await page.getByRole("button", { name: "Create tenant" }).click();
  await expect(page.getByText("Enter a name for the tenant.")).toBeVisible();

  await page.getByLabel("Name").fill("Acme Corp");
  await page.getByLabel("Multi-factor authentication").selectOption("required");
  await page.getByRole("button", { name: "Create tenant" }).click();
  const row = page.getByRole("row", { name: /Acme Corp/ });
  await expect(row).toContainText("Active");
  await expect(row).toContainText("Required");
  await expect(page.getByLabel("Name")).toHaveValue("");
  await page.getByLabel("Name").fill("Beta Ltd");
  await page.getByRole("button", { name: "Create tenant" }).click();
  await expect(page.getByRole("row", { name: /Beta Ltd/ })).toBeVisible();
  await shot("tenants-listed");

  await page.getByRole("button", { name: "Disable Acme Corp" }).click();
  await expect(row).toContainText("Disabled");
  await expect(page.getByRole("button", { name: "Enable Acme Corp" })).toBeVisible();

  await page.getByRole("button", { name: "Delete Beta Ltd" }).click();
  await expect(page.getByRole("group", { name: "Confirm deleting Beta Ltd" })).toBeVisible();
  await shot("tenant-delete-confirmation");
  await page.getByRole("button", { name: "Delete tenant" }).click();
  await expect(page.getByRole("row", { name: /Beta Ltd/ })).toHaveCount(0);
  await expect(row).toBeVisible();
  await shot("tenants-after-delete");
});
