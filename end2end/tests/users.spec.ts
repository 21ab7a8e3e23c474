import { test, expect, hydrated, createFirstAdmin, signIn, Warden } from "./fixtures";
import { Page } from "@playwright/test";

/** Calls a server function with the page's session, as the console does. */
async function post(page: Page, warden: Warden, fn: string, form: Record<string, string>) {
  const res = await page.request.post(`/api/${fn}`, { form, headers: { Origin: warden.baseURL } });
  expect(res.ok(), `${fn}: ${res.status()} ${await res.text()}`).toBeTruthy();
  return res.json();
}

test("an administrator creates a user: field errors first, then the account", async ({ page, warden, shot, consoleProblems }) => {
  await createFirstAdmin(page, warden);
  await signIn(page);
  await expect(page.getByRole("heading", { name: "Welcome, Ada" })).toBeVisible();
  await post(page, warden, "create_tenant", { name: "Acme", mfa_policy: "optional" });

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" }).click();
  await expect(page.getByRole("heading", { name: "Users", exact: true })).toBeVisible();
  await hydrated(page);
  await expect(page.getByRole("row", { name: /first_admin/ })).toContainText("Platform administrator");
  await shot("users-list");

  await page.getByRole("link", { name: "New account" }).click();
  await expect(page.getByRole("heading", { name: "New account" })).toBeVisible();
  await hydrated(page);
  await shot("new-account-empty");

  // Everything wrong at once: each field says what is wrong with it.
  await page.getByLabel("Account type").selectOption("user");
  await page.getByLabel("Username").fill("ab");
  await page.getByLabel("Email").fill("not-an-email");
  await page.getByLabel("Temporary password").fill("short");
  await page.getByLabel("Country code").fill("44444");
  await page.getByLabel("External ID (optional)").fill("E-1");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByText("Choose a tenant.")).toBeVisible();
  await expect(page.getByText("Use 6 to 50 characters (this has 2).")).toBeVisible();
  await expect(page.getByText("Enter a full name.")).toBeVisible();
  await expect(page.getByText("Enter a country calling code such as +1 or +44.")).toBeVisible();
  await expect(page.getByText("Use only letters and digits.")).toBeVisible();
  await expect(page.getByText("Some fields need correcting: each one says what to change.")).toBeVisible();
  await expect(page.getByLabel("Username")).toHaveAttribute("aria-invalid", "true");
  await shot("new-account-field-errors");

  await page.getByLabel("Tenant").selectOption({ label: "Acme" });
  await page.getByLabel("Username").fill("grace_hopper");
  await page.getByLabel("Full name").fill("Grace Hopper");
  await page.getByLabel("Email").fill("grace@acme.example");
  await page.getByLabel("Job title (optional)").fill("Rear Admiral");
  await page.getByLabel("Temporary password").fill("Temp-pass1");
  await page.getByLabel("Country code").fill("+1");
  await page.getByLabel("Phone (optional)").fill("555 0100");
  await page.getByLabel("External ID (optional)").fill("EMP1906");
  await page.getByLabel("Valid until (optional)").fill("2099-12-31");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/users\/\d+\?created=1$/);
  await expect(page.getByText("Account created.")).toBeVisible();
  await expect(page.getByRole("heading", { name: "Grace Hopper" })).toBeVisible();
  await expect(page.getByText("Must change password").first()).toBeVisible();
  await expect(page.getByText("Valid until 2099-12-31")).toBeVisible();
  await expect(page.getByLabel("Job title (optional)")).toHaveValue("Rear Admiral");
  await shot("account-created");

  // Found by a word of the name, in the list.
  await page.getByRole("link", { name: "← Users" }).click();
  await hydrated(page);
  await page.getByLabel("Search").fill("hopp");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/\/users\?q=hopp$/);
  await expect(page.getByRole("row", { name: /grace_hopper/ })).toContainText("Acme");
  await expect(page.getByRole("row", { name: /first_admin/ })).toHaveCount(0);
  await shot("users-search");

  // The new person must choose a password at first sign-in.
  await page.locator(".account-menu summary").click();
  await page.getByRole("menuitem", { name: "Sign out", exact: true }).click();
  await signIn(page, "grace_hopper", "Temp-pass1");
  await expect(page).toHaveURL(/\/change-password$/);
  await expect(page.getByRole("heading", { name: "Choose your own password" })).toBeVisible();
});

test("an administrator edits, disables, enables and deletes an account", async ({ page, warden, shot, consoleProblems }) => {
  await createFirstAdmin(page, warden);
  await signIn(page);
  await expect(page.getByRole("heading", { name: "Welcome, Ada" })).toBeVisible();
  const tenant = await post(page, warden, "create_tenant", { name: "Acme", mfa_policy: "optional" });
  const id = await post(page, warden, "create_account", {
    tier: "user", tenant_id: String(tenant.tenant_id), username: "alan_turing",
    email: "alan@acme.example", full_name: "Alan Turing", password: "Temp-pass1",
  });

  await page.goto(`/users/${id}`);
  await expect(page.getByRole("heading", { name: "Alan Turing" })).toBeVisible();
  await hydrated(page);
  await expect(page.getByText("(cannot be changed)")).toBeVisible();
  await shot("account-page");

  // A refused save keeps what was typed; a good one says so.
  await page.getByLabel("Email").fill("alan@");
  await page.getByLabel("Job title (optional)").fill("Cryptanalyst");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByLabel("Email")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByLabel("Job title (optional)")).toHaveValue("Cryptanalyst");
  await page.getByLabel("Email").fill("alan.turing@acme.example");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText("Saved.")).toBeVisible();
  await expect(page.getByLabel("Email")).toHaveValue("alan.turing@acme.example");

  await page.getByRole("button", { name: "Disable account" }).click();
  await expect(page.getByRole("button", { name: "Enable account" })).toBeVisible();
  await expect(page.getByText("Saved.")).toBeHidden(); // it answered the save, not this
  await expect(page.locator(".page-head .badge")).toHaveText("Disabled");
  await shot("account-disabled");
  await page.getByRole("button", { name: "Enable account" }).click();
  await expect(page.locator(".page-head .badge")).toHaveText("Must change password");

  // Deleting needs the username typed out.
  await page.getByRole("button", { name: "Delete account…" }).click();
  const confirm = page.getByRole("form", { name: "Confirm deletion" });
  await expect(confirm.getByRole("button", { name: "Delete for good" })).toBeDisabled();
  await confirm.getByLabel("Type alan_turing to confirm").fill("alan");
  await expect(confirm.getByRole("button", { name: "Delete for good" })).toBeDisabled();
  await confirm.getByLabel("Type alan_turing to confirm").fill("alan_turing");
  await shot("account-delete-confirmation");
  await confirm.getByRole("button", { name: "Delete for good" }).click();
  await expect(page).toHaveURL(/\/users\?deleted=1$/);
  await expect(page.getByRole("row", { name: /alan_turing/ })).toHaveCount(0);
  await expect(page.getByRole("row", { name: /first_admin/ })).toBeVisible();

  // One's own account offers neither.
  await page.getByRole("link", { name: "first_admin" }).click();
  await expect(page.getByText("You cannot disable or delete your own account.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Disable account" })).toHaveCount(0);
  await shot("own-account");
});

test("an administrator imports a CSV file with mixed rows and exports the list", async ({ page, warden, shot, consoleProblems }) => {
  await createFirstAdmin(page, warden);
  await signIn(page);
  await expect(page.getByRole("heading", { name: "Welcome, Ada" })).toBeVisible();
  await post(page, warden, "create_tenant", { name: "Acme", mfa_policy: "optional" });

  await page.goto("/users");
  await hydrated(page);
  await page.getByRole("link", { name: "Import CSV" }).click();
  await expect(page.getByRole("heading", { name: "Import accounts" })).toBeVisible();
  await hydrated(page);
  await shot("import-empty");

  // A file that is not an accounts file is refused as a whole, with the reason.
  await page.getByLabel("CSV file").setInputFiles({
    name: "wrong.csv", mimeType: "text/csv", buffer: Buffer.from("name,mail\nx,y\n"),
  });
  await expect(page.getByRole("alert")).toContainText("wrong.csv: Column 1 is named “name”");

  const csv = [
    "username,email,full_name,type,tenant,temporary_password",
    "ann_person,ann@acme.example,Ann Person,user,Acme,Temp-pass1",
    "bo,not-an-email,Bo,user,Acme,Temp-pass1",
    "cat_person,cat@acme.example,Cat Person,user,Acme,Temp-pass1",
    "robot_one,robot@acme.example,Robot One,service_account,Acme,",
    "dan_person,ann@acme.example,Dan Person,user,Nowhere,Temp-pass1",
  ].join("\n");
  await page.getByLabel("CSV file").setInputFiles({ name: "people.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await expect(page.getByText("3 of 5 rows are valid; 2 have errors.")).toBeVisible();
  const errors = page.locator("table.errors");
  await expect(errors.getByRole("row", { name: /^3 bo username/ })).toContainText("Use 6 to 50 characters (this has 2).");
  await expect(errors.getByRole("row", { name: /^6 dan_person email/ })).toContainText("Line 2 has the same value.");
  await expect(errors.getByRole("row", { name: /^6 dan_person tenant/ })).toContainText("No tenant is named “Nowhere”.");
  await expect(page.getByRole("button", { name: "Import all 5 accounts" })).toBeDisabled();
  await shot("import-checked");

  await page.getByLabel("Import the 3 valid rows and skip the 2 with errors").check();
  await page.getByRole("button", { name: "Import 3 valid accounts" }).click();
  await expect(page.getByText("Imported 3 accounts.")).toBeVisible();
  await shot("import-done");

  await page.getByRole("link", { name: "See the newest accounts" }).click();
  await expect(page.getByRole("row", { name: /robot_one/ })).toContainText("Service account");
  await expect(page.getByRole("row", { name: /ann_person/ })).toContainText("Must change password");
  await hydrated(page);

  // Export what the list shows: here, a search.
  await page.getByLabel("Search").fill("person");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByRole("row", { name: /robot_one/ })).toHaveCount(0);
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export CSV" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^warden-accounts-\d{4}-\d{2}-\d{2}\.csv$/);
  const exported = require("node:fs").readFileSync(await file.path(), "utf8");
  const lines = exported.trim().split("\r\n");
  expect(lines[0]).toBe("username,email,full_name,type,tenant,status,job_title,country_code,phone,valid_until,ref_id_1,ref_id_2,external_id,created_on,temporary_password");
  // The list's rows in the list's order: newest first, as "See the newest accounts" sorted it.
  expect(lines.slice(1).map((l: string) => l.split(",")[0])).toEqual(["cat_person", "ann_person"]);
});
