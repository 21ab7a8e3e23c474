import { test, expect, hydrated, createFirstAdmin, signIn, Warden, signOut, chooseOwnPassword } from "./fixtures";
import { Page } from "@playwright/test";

/** Calls a server function with the page's session, as the console does. */
async function post(page: Page, warden: Warden, fn: string, form: Record<string, string>) {
  const res = await page.request.post(`/api/${fn}`, { form, headers: { Origin: warden.baseURL } });
  expect(res.ok(), `${fn}: ${res.status()} ${await res.text()}`).toBeTruthy();
  return res.json();
}

test("roles: the editor's matrix updates live, grants on scopes, assignment and effective access", async ({ page, warden, shot, consoleProblems }) => {
  await createFirstAdmin(page, warden);
  await signIn(page);
  await expect(page.getByRole("heading", { name: "Welcome, Ada" })).toBeVisible();
  const tenant = await post(page, warden, "create_tenant", { name: "Acme", mfa_policy: "optional" });
  const userId = await post(page, warden, "create_account", {
    tier: "user", tenant_id: String(tenant.tenant_id), username: "grace_hopper",
    email: "grace@acme.example", full_name: "Grace Hopper", password: "Temp-pass1",
  });

  // The list: a platform administrator picks the tenant first.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Roles" }).click();
  await expect(page.getByRole("heading", { name: "Roles", exact: true })).toBeVisible();
  await hydrated(page);
  await expect(page.getByText("Choose a tenant to see its roles.")).toBeVisible();
  await page.getByLabel("Tenant", { exact: true }).selectOption({ label: "Acme" });
  await page.getByRole("button", { name: "Show roles" }).click();
  await expect(page.getByRole("heading", { name: "Roles of Acme" })).toBeVisible();
  await hydrated(page);
  for (const name of ["Administrators", "Everyone", "Admin", "Member", "Read-only"]) {
    await expect(page.getByRole("link", { name, exact: true })).toBeVisible();
  }

  // A scope, then a new role.
  await page.getByLabel("New scope").fill("North");
  await page.getByRole("button", { name: "Add scope" }).click();
  await expect(page.locator(".scope-list")).toContainText("North");
  await shot("roles-list");
  await page.getByLabel("Name", { exact: true }).fill("Helpdesk");
  await page.getByLabel("Description", { exact: true }).first().fill("Looks after people's accounts");
  await page.getByRole("button", { name: "Create and edit privileges" }).click();
  await expect(page.getByRole("heading", { name: "Helpdesk" })).toBeVisible();
  await hydrated(page);
  await shot("role-editor-empty");

  // Granting Delete shows Edit and View as implied, at once, before saving.
  const cell = (label: string) => page.getByRole("button", { name: new RegExp(`^${label}: `) });
  await cell("Users: Delete").click();
  await expect(cell("Users: Delete")).toHaveAttribute("aria-pressed", "true");
  await expect(cell("Users: Edit")).toHaveAccessibleName("Users: Edit: implied by Delete");
  await expect(cell("Users: View")).toHaveAttribute("aria-disabled", "true");
  // The module privilege makes every Security resource inherited.
  await cell("Security Admin").click();
  await expect(cell("Roles: Edit")).toHaveAccessibleName("Roles: Edit: inherited from Security Admin");
  await shot("role-editor-live");
  // A sensitive privilege (and the module privilege that brings it) cannot be changed
  // outside an MFA session, and the cell gives the server's reason, not "you do not hold it".
  for (const label of ["Active response: Run", "Operations Admin"]) {
    await expect(cell(label)).toHaveAttribute("aria-disabled", "true");
    await expect(cell(label)).toHaveAccessibleName(new RegExp(`is sensitive, so it can be used only after signing in with MFA`));
  }
  // Keyboard: focus a cell and press Space to revoke.
  await cell("Security Admin").focus();
  await page.keyboard.press("Space");
  await expect(cell("Roles: Edit")).toHaveAccessibleName(/not granted/);
  await expect(page.getByText("Unsaved changes")).toBeVisible();
  // The matrix is one Tab stop; arrow keys reach every cell, implied ones too.
  await cell("Users: Delete").focus();
  await page.keyboard.press("ArrowLeft");
  await expect(cell("Users: Edit")).toBeFocused();
  await expect(cell("Users: Edit")).toHaveAttribute("tabindex", "0");
  await expect(cell("Users: Delete")).toHaveAttribute("tabindex", "-1");
  await page.keyboard.press("Home");
  await expect(cell("Users: View")).toBeFocused();
  await page.keyboard.press("ArrowUp");
  await expect(cell("Security Admin")).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  await expect(cell("Roles: Delete")).toBeFocused();
  // Space on an implied cell changes nothing.
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("ArrowLeft");
  await expect(cell("Users: Edit")).toBeFocused();
  await page.keyboard.press("Space");
  await expect(cell("Users: Edit")).toHaveAccessibleName("Users: Edit: implied by Delete");

  // View on one scope, for a resource the role does not hold at all.
  await page.getByLabel("Grant", { exact: true }).selectOption("view");
  await page.getByLabel("on", { exact: true }).selectOption({ label: "Workspaces" });
  await page.getByLabel("in scope").selectOption({ label: "North" });
  await page.getByRole("button", { name: "Add grant" }).click();
  await expect(page.locator(".object-grants")).toContainText("Workspaces: View on scope “North”");
  await page.getByRole("button", { name: "Save role" }).click();
  await expect(page.getByText("Saved.")).toBeVisible();
  await shot("role-editor-saved");

  // On Grace's page: assign it, then read her effective access.
  await page.goto(`/users/${userId}`);
  await expect(page.getByRole("heading", { name: "Grace Hopper" })).toBeVisible();
  await hydrated(page);
  await page.getByLabel("Role", { exact: true }).selectOption({ label: "Helpdesk" });
  await page.getByRole("button", { name: "Assign role" }).click();
  await expect(page.locator(".assignments")).toContainText("Helpdesk");
  const tenantWide = page.locator(".access-place").first();
  await expect(tenantWide).toContainText("Users: Delete");
  await expect(tenantWide).toContainText("Allowed: through the role “Helpdesk” (assigned tenant-wide), which grants it.");
  await expect(tenantWide).toContainText("Allowed: through the role “Helpdesk” (assigned tenant-wide), which grants Delete, and Delete implies it.");
  await page.locator(".access-place").nth(1).locator("summary").first().click();
  await expect(page.locator(".access-place").nth(1)).toContainText("which is granted it on this scope.");
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot("account-access");

  // The users list filters by role once a tenant is chosen.
  await page.goto(`/users?tenant=${tenant.tenant_id}`);
  await hydrated(page);
  await page.getByLabel("Role", { exact: true }).selectOption({ label: "Helpdesk" });
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/role=\d+/);
  await expect(page.getByRole("link", { name: "grace_hopper" })).toBeVisible();
  await shot("users-by-role");

  // The built-in roles: Administrators shows everything granted and nothing to change;
  // Everyone starts empty and editable.
  await page.goto(`/roles?tenant=${tenant.tenant_id}`);
  await hydrated(page);
  await page.getByRole("link", { name: "Administrators", exact: true }).click();
  await expect(page.getByText("Built in: holds every privilege, always.")).toBeVisible();
  await hydrated(page);
  await expect(cell("Security Admin")).toHaveAttribute("aria-disabled", "true");
  await expect(cell("Security Admin")).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByRole("button", { name: "Save role" })).toHaveCount(0);
  await shot("role-administrators");
  await page.goto(`/roles?tenant=${tenant.tenant_id}`);
  await hydrated(page);
  await page.getByRole("link", { name: "Everyone", exact: true }).click();
  await expect(page.getByText("Built in: every account of the tenant holds it")).toBeVisible();
  await hydrated(page);
  await expect(cell("Security Admin")).toHaveAttribute("aria-disabled", "false");
  await shot("role-everyone");
});

test("a security administrator cannot grant or take away what it does not hold", async ({ page, warden, shot, consoleProblems }) => {
  await createFirstAdmin(page, warden);
  await signIn(page);
  await expect(page.getByRole("heading", { name: "Welcome, Ada" })).toBeVisible();
  const tenant = await post(page, warden, "create_tenant", { name: "Acme", mfa_policy: "optional" });
  const leadId = await post(page, warden, "create_account", {
    tier: "user", tenant_id: String(tenant.tenant_id), username: "sec_lead",
    email: "lead@acme.example", full_name: "Lin Security", password: "Temp-pass1",
  });
  // A role holding Security Admin only, made in the editor, and assigned to the lead.
  const teamId = await post(page, warden, "create_role", {
    tenant_id: String(tenant.tenant_id), name: "Security team", description: "",
  });
  await page.goto(`/roles/${teamId}`);
  await expect(page.getByRole("heading", { name: "Security team" })).toBeVisible();
  await hydrated(page);
  const cell = (label: string) => page.getByRole("button", { name: new RegExp(`^${label}: `) });
  await cell("Security Admin").click();
  await page.getByRole("button", { name: "Save role" }).click();
  await expect(page.getByText("Saved.")).toBeVisible();
  await post(page, warden, "assign_role", { account_id: String(leadId), role_id: String(teamId) });
  await signOut(page);

  // The lead signs in (choosing its own password first) and opens the Member template.
  await signIn(page, "sec_lead", "Temp-pass1");
  await chooseOwnPassword(page, "Temp-pass1", "Lead-own-pass1");
  await expect(page.getByRole("heading", { name: "Welcome, Lin" })).toBeVisible();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Roles" }).click();
  await expect(page.getByRole("heading", { name: "Roles of Acme" })).toBeVisible();
  await hydrated(page);
  await page.getByRole("link", { name: "Member", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Member" })).toBeVisible();
  await hydrated(page);
  const memberId = page.url().split("/").pop()!;

  // Forms: Delete is granted by the template but not held by the lead: shown, not changeable,
  // and the cell says why. Security privileges (held through Security Admin) can change.
  await expect(cell("Forms: Delete")).toHaveAttribute("aria-disabled", "true");
  await expect(cell("Forms: Delete")).toHaveAccessibleName("Forms: Delete: granted. You do not hold it, so you cannot change it");
  await cell("Forms: Delete").click({ force: true });
  await expect(cell("Forms: Delete")).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByText("Unsaved changes")).toBeHidden();
  await expect(cell("Users: View")).toHaveAttribute("aria-disabled", "false");
  await expect(cell("Forms: Delete")).toHaveClass(/cell-locked/);
  await expect(cell("Users: View")).not.toHaveClass(/cell-locked/);
  await expect(page.getByText(/^You cannot delete it: only someone who holds .+ may grant it/)).toBeVisible();
  await expect(page.getByRole("button", { name: "Delete role…" })).toHaveCount(0);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot("role-editor-not-held");

  // The server refuses the same change whatever sends it, naming the privilege.
  const member = await post(page, warden, "get_role", { role_id: memberId });
  const res = await page.request.post("/api/update_role", {
    data: { role_id: Number(memberId), form: { name: member.name, description: member.description, granted: [], object_grants: [] } },
    headers: { Origin: warden.baseURL },
  });
  expect(res.status()).toBe(403);
  expect(await res.text()).toContain("you do not hold it yourself");
  const after = await post(page, warden, "get_role", { role_id: memberId });
  expect(after.granted).toEqual(member.granted);
});
