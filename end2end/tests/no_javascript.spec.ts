import { test, expect, ADMIN, api, submitSetupForm } from "./fixtures";
import { base32Decode, totp } from "./totp";

// Every page is rendered by the server and its forms are plain HTML forms: with JavaScript
// off (or before the page's WASM has arrived), the main ones work all the same.
test.use({ javaScriptEnabled: false });

test("without JavaScript: first run, sign-in with both steps, tenants, a new account and its edit", async ({ page, warden, shot }) => {
  // First run: a refused form says why under each field, then the administrator exists.
  await page.goto(warden.setupLink);
  await page.getByLabel("Username").fill("ab");
  await page.getByRole("button", { name: "Create administrator" }).click();
  await expect(page.getByText("Use 6 to 50 characters (this has 2).")).toBeVisible();
  await expect(page.getByLabel("Username")).toHaveAttribute("aria-invalid", "true");
  await shot("setup-refused");
  await submitSetupForm(page);

  // A wrong password: the one message that reveals nothing.
  await page.getByLabel("Username").fill(ADMIN.username);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Invalid username or password." })).toBeVisible();
  await page.getByLabel("Username").fill(ADMIN.username);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Welcome, Ada" })).toBeVisible();

  // Tenants: a field error, then the tenant; a confirmation through the address.
  await page.goto("/tenants");
  await page.getByRole("button", { name: "Create tenant" }).click();
  await expect(page.getByText("Enter a name for the tenant.")).toBeVisible();
  await page.getByLabel("Name").fill("Acme");
  await page.getByRole("button", { name: "Create tenant" }).click();
  await expect(page.getByRole("row", { name: /Acme/ })).toContainText("Active");
  await page.getByRole("button", { name: "Edit Acme" }).click();
  const editor = page.getByRole("form", { name: "Edit Acme" });
  await editor.getByLabel("Name").fill("Acme Group");
  await editor.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("row", { name: /Acme Group/ })).toBeVisible();
  await shot("tenants");

  // A new account: the form posts as it is and lands on the account's page.
  await page.goto("/users/new");
  await page.getByLabel("Tenant").selectOption({ label: "Acme Group" });
  await page.getByLabel("Username").fill("alan_turing");
  await page.getByLabel("Temporary password").fill("Temp-pass1");
  await page.getByLabel("Full name").fill("Alan Turing");
  await page.getByLabel("Email").fill("alan@acme.example");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/users\/\d+\?created=1$/);
  await expect(page.getByText("Account created.")).toBeVisible();

  // Its edit form: a refusal under the field, then "Saved.".
  await page.getByLabel("Email").fill("alan@");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByLabel("Email")).toHaveAttribute("aria-invalid", "true");
  await page.getByLabel("Job title (optional)").fill("Cryptanalyst");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText("Saved.")).toBeVisible();
  await expect(page.getByLabel("Job title (optional)")).toHaveValue("Cryptanalyst");
  await shot("account-saved");

  // The second sign-in step: MFA turned on for the administrator (through its server
  // functions, as the enrolment page would), then a sign-in asks for the code on a page of
  // its own, which takes a wrong code and then the right one.
  const post = api(page, warden);
  const enrolment = await (await post("begin_mfa_enrolment", {})).json();
  const key = base32Decode(enrolment.key);
  const step = Math.floor(Date.now() / 1000 / 30);
  const confirmed = await post("confirm_mfa_enrolment", { code: totp(key, step), current_password: ADMIN.password });
  expect(confirmed.ok()).toBeTruthy();
  await page.goto("/login");
  await page.getByLabel("Username").fill(ADMIN.username);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/login\?step=code$/);
  await expect(page.getByRole("heading", { name: "Enter your code" })).toBeVisible();
  await page.getByLabel("Code").fill("000000" === totp(key, step + 1) ? "111111" : "000000");
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByText(/That code is not right/)).toBeVisible();
  await shot("code-refused");
  await page.getByLabel("Code").fill(totp(key, step + 1));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("heading", { name: "Welcome, Ada" })).toBeVisible();
});
