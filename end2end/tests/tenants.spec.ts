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

  // Edit in place: the same rules, then the row shows the new values.
  await page.getByRole("button", { name: "Edit Acme Corp" }).click();
  const editor = page.getByRole("form", { name: "Edit Acme Corp" });
  await expect(editor.getByLabel("Name")).toHaveValue("Acme Corp");
  await editor.getByLabel("Name").fill("");
  await editor.getByRole("button", { name: "Save" }).click();
  await expect(editor.getByText("Enter a name for the tenant.")).toBeVisible();
  await shot("tenant-edit-error");
  await editor.getByLabel("Name").fill("Acme Group");
  await editor.getByLabel("Multi-factor authentication").selectOption("off");
  await editor.getByRole("button", { name: "Save" }).click();
  const renamed = page.getByRole("row", { name: /Acme Group/ });
  await expect(renamed).toContainText("Off");
  await expect(page.getByRole("row", { name: /Acme Corp/ })).toHaveCount(0);

  await page.getByRole("button", { name: "Disable Acme Group" }).click();
  await expect(renamed).toContainText("Disabled");
  await expect(page.getByRole("button", { name: "Enable Acme Group" })).toBeVisible();

  await page.getByRole("button", { name: "Delete Beta Ltd" }).click();
  await expect(page.getByRole("group", { name: "Confirm deleting Beta Ltd" })).toBeVisible();
  await shot("tenant-delete-confirmation");
  await page.getByRole("button", { name: "Delete tenant" }).click();
  await expect(page.getByRole("row", { name: /Beta Ltd/ })).toHaveCount(0);
  await expect(renamed).toBeVisible();
  await shot("tenants-after-delete");
});
