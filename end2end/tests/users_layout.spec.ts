import { test, expect, hydrated, createFirstAdmin, signIn, api } from "./fixtures";
import { Page } from "@playwright/test";

// The longest values the rules allow (SPEC §2.1).
const LONG_EMAIL = `${"e".repeat(88)}@example.com`; // 100 characters
const LONG_NAME = `Maximiliana ${"Wolfeschlegelsteinhausen".repeat(4)}`.slice(0, 100);
const LONG_USERNAME = `u_${"x".repeat(48)}`; // 50 characters
const LONG_TENANT = `Acme ${"International Holdings ".repeat(5)}`.trim().slice(0, 100);

/** How far the page reaches sideways beyond the viewport, in CSS pixels (0: not at all). */
async function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/** The elements that reach beyond the viewport's right edge, to say what overflows. */
async function widest(page: Page): Promise<string> {
  return page.evaluate(() => Array.from(document.querySelectorAll("body *"))
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(-5)
    .map((el) => `${el.tagName.toLowerCase()}.${el.className}: ${Math.round(el.getBoundingClientRect().right)}`)
    .join("; "));
}

test("long values in the users list are cut, not widening it, at 1280 and 390 pixels", async ({ page, warden, shot, consoleProblems }) => {
  await createFirstAdmin(page, warden);
  await signIn(page);
  await expect(page.getByRole("heading", { name: "Welcome, Ada" })).toBeVisible();
  const post = api(page, warden);
  const tenant = await (await post("create_tenant", { name: LONG_TENANT, mfa_policy: "optional" })).json();
  const created = await post("create_account", {
    tier: "tenant_admin", tenant_id: String(tenant.tenant_id), username: LONG_USERNAME,
    email: LONG_EMAIL, full_name: LONG_NAME, password: "Temp-pass1",
  });
  expect(created.ok(), await created.text()).toBeTruthy();

  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto("/users");
  await hydrated(page);
  const row = page.getByRole("row", { name: new RegExp(LONG_USERNAME) });
  await expect(row).toBeVisible();
  // Every column header is on screen, the last ones included.
  for (const name of ["Username", "Full name", "Email", "Type", "Tenant", "Status", "Created"]) {
    const header = page.getByRole("columnheader", { name, exact: true });
    await expect(header).toBeInViewport({ ratio: 1 });
  }
  expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
  // The long values are cut with the whole value in their title.
  for (const value of [LONG_EMAIL, LONG_NAME, LONG_USERNAME, LONG_TENANT]) {
    const cell = row.getByTitle(value, { exact: true });
    await expect(cell).toHaveText(value);
    expect(await cell.evaluate((el) => el.scrollWidth > el.clientWidth), `${value} is cut`).toBe(true);
  }
  await shot("users-1280");
  // Focus on the row shows the whole value.
  await row.getByRole("link", { name: LONG_USERNAME }).focus();
  const email = row.getByTitle(LONG_EMAIL, { exact: true });
  expect(await email.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(false);
  await shot("users-1280-row-focused");

  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/users");
  await hydrated(page);
  await expect(page.getByRole("row", { name: new RegExp(LONG_USERNAME) })).toBeVisible();
  expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
  for (const link of ["Overview", "Users", "Roles", "Tenants", "Audit", "Profile"]) {
    await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: link, exact: true }))
      .toBeInViewport({ ratio: 1 });
  }
  await expect(page.locator(".account-menu summary")).toBeInViewport({ ratio: 1 });
  await shot("users-390");

  // The account's own page, and the forms, at the same width.
  await page.getByRole("row", { name: new RegExp(LONG_USERNAME) }).getByRole("link").click();
  await expect(page.getByRole("heading", { name: LONG_NAME })).toBeVisible();
  await hydrated(page);
  await shot("account-390");
  expect(await sidewaysOverflow(page), await widest(page)).toBeLessThanOrEqual(0);
  await page.goto("/users/new");
  await hydrated(page);
  await shot("new-account-390");
  expect(await sidewaysOverflow(page), await widest(page)).toBeLessThanOrEqual(0);
});
