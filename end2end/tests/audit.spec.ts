import { test, expect, hydrated, createFirstAdmin, signIn } from "./fixtures";

test("the audit page lists what happened, newest first, and filters it", async ({ page, warden, shot, consoleProblems }) => {
  await createFirstAdmin(page, warden);
  // A failed sign-in first, then the real one.
  await signIn(page, "first_admin", "Wrong-pass1");
  await expect(page.getByText("Invalid username or password.")).toBeVisible();
  await signIn(page);
  await expect(page.getByRole("heading", { name: "Welcome, Ada" })).toBeVisible();
  const post = (fn: string, form: Record<string, string>) =>
    page.request.post(`/api/${fn}`, { form, headers: { Origin: warden.baseURL } });
  // A refused attempt: nobody deletes their own account (answered as always, and audited).
  const session = await (await post("session", {})).json();
  expect((await post("delete_account", { account_id: String(session.account_id) })).status()).toBe(409);
  const tenant = await (await post("create_tenant", { name: "Acme", mfa_policy: "optional" })).json();
  expect((await post("update_tenant", { tenant_id: String(tenant.tenant_id), name: "Acme Group", mfa_policy: "required" })).ok()).toBeTruthy();

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit" }).click();
  await expect(page.getByRole("heading", { name: "Audit", exact: true })).toBeVisible();
  await hydrated(page);
  const rows = page.locator("table.audit tbody tr:not(.changes-row)");
  await expect(rows.first()).toContainText("Tenant edited");
  await expect(page.getByRole("row", { name: /Sign-in.*failure · invalid credentials/ })).toBeVisible();
  await expect(page.getByRole("row", { name: /Attempted: account deleted.*refused · nobody may remove their own account/ })).toBeVisible();
  await expect(rows.last()).toContainText("Administrator created at setup");

  // What an edit changed, field by field.
  const changes = page.locator("table.audit tr.changes-row").first();
  await changes.getByText("2 changed fields").click();
  await expect(changes).toContainText("\"Acme\" → \"Acme Group\"");
  await expect(changes).toContainText("\"optional\" → \"required\"");
  await shot("audit");

  await page.getByLabel("Action").selectOption({ label: "Sign-in" });
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/\/audit\?action=sign_in$/);
  await expect(rows).toHaveCount(2);
  await shot("audit-filtered");

  await page.getByLabel("Target").fill("nobody");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.getByText("No record matches these filters.")).toBeVisible();
  await page.getByRole("link", { name: "Clear" }).click();
  await expect(rows.first()).toContainText("Tenant edited");
});

test("the audit page exports what its filters select as CSV", async ({ page, warden }) => {
  await createFirstAdmin(page, warden);
  await signIn(page);
  await expect(page.getByRole("heading", { name: "Welcome, Ada" })).toBeVisible();
  await page.goto("/audit");
  await hydrated(page);
  await page.getByLabel("Action").selectOption({ label: "Sign-in" });
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/\/audit\?action=sign_in$/);
  // The links carry the filters shown.
  await expect(page.getByRole("link", { name: "Export JSON Lines" })).toHaveAttribute("href", "/audit.jsonl?action=sign_in");
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export CSV" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^warden-audit-\d{4}-\d{2}-\d{2}\.csv$/);
  const exported = require("node:fs").readFileSync(await file.path(), "utf8");
  const lines = exported.trim().split("\r\n");
  expect(lines[0]).toBe("id,occurred_at,tenant_name,actor_username,actor_tier,action,target_kind,target_label,outcome,reason,suppressed_before,client,before,after");
  expect(lines).toHaveLength(2);
  expect(lines[1]).toContain(",first_admin,platform_admin,sign_in,");
  // The export is itself in the trail.
  await page.goto("/audit?action=audit.export");
  await expect(page.locator("table.audit tbody tr:not(.changes-row)")).toHaveCount(1);
  await expect(page.locator("table.audit tbody")).toContainText("Audit log exported");
});
