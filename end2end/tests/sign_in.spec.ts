import { test, expect, hydrated, createFirstAdmin, signIn, ADMIN } from "./fixtures";

test("sign in, look around, sign out", async ({ page, warden, shot, consoleProblems }) => {
  await createFirstAdmin(page, warden);
  await signIn(page);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("heading", { name: "Welcome, Ada" })).toBeVisible();
  await expect(page.getByRole("row", { name: /Tenant administrator.*Can manage/ })).toBeVisible();
  await shot("overview");

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Profile" }).click();
  await expect(page.getByRole("heading", { name: "Your profile" })).toBeVisible();
  await expect(page.getByText(ADMIN.email)).toBeVisible();
  await shot("profile");

  // The account menu opens and, once hydrated, closes with Escape, focus back on its button.
  await hydrated(page);
  const menu = page.locator(".account-menu summary");
  await menu.click();
  await expect(page.getByRole("menuitem", { name: "Sign out", exact: true })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("menuitem", { name: "Sign out", exact: true })).toBeHidden();
  await expect(menu).toBeFocused();
  await menu.click();
  await expect(page.getByRole("menuitem", { name: "Sign out", exact: true })).toBeVisible();
  await shot("account-menu");
  await page.getByRole("menuitem", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
  await shot("signed-out");

  // The session is gone: protected pages send the visitor back to sign in.
  await page.goto("/profile");
  await expect(page).toHaveURL(/\/login$/);
});

test("a wrong password gets one message that reveals nothing", async ({ page, warden, shot, consoleProblems }) => {
  await createFirstAdmin(page, warden);
  await signIn(page, ADMIN.username, "Wrong-pass1");
  await expect(page.getByRole("alert").filter({ hasText: "Invalid username or password." })).toBeVisible();
  await expect(page).toHaveURL(/\/login/);
  // The next attempt starts clean: the password is emptied and focused, the username kept.
  await expect(page.getByLabel("Password")).toHaveValue("");
  await expect(page.getByLabel("Password")).toBeFocused();
  await expect(page.getByLabel("Username")).toHaveValue(ADMIN.username);
  await shot("wrong-password");

  await signIn(page, "no_such_user", "Wrong-pass1");
  await expect(page.getByRole("alert").filter({ hasText: "Invalid username or password." })).toBeVisible();
});

test("sign out everywhere ends the session from the profile page", async ({ page, warden, shot, consoleProblems }) => {
  await createFirstAdmin(page, warden);
  await signIn(page);
  await expect(page.getByRole("heading", { name: "Welcome, Ada" })).toBeVisible();
  await page.goto("/profile");
  await hydrated(page);
  await page.getByRole("main").getByRole("button", { name: "Sign out everywhere" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/);
  await shot("after-sign-out-everywhere");
});

test("the sign-in form works with the keyboard alone", async ({ page, warden, consoleProblems }) => {
  await createFirstAdmin(page, warden);
  await page.goto("/login");
  await hydrated(page);
  await expect(page.getByLabel("Username")).toBeFocused();
  await page.keyboard.type(ADMIN.username);
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Password")).toBeFocused();
  await page.keyboard.type(ADMIN.password);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Welcome, Ada" })).toBeVisible();
});

test("dark mode and a phone-sized screen", async ({ page, warden, shot, consoleProblems }) => {
  await createFirstAdmin(page, warden);
  await page.emulateMedia({ colorScheme: "dark" });
  await page.goto("/login");
  await shot("login-dark");
  await signIn(page);
  await expect(page.getByRole("heading", { name: "Welcome, Ada" })).toBeVisible();
  await shot("overview-dark");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/profile");
  await expect(page.getByRole("heading", { name: "Your profile" })).toBeVisible();
  await shot("profile-phone-dark");
});
