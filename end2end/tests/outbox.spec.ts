import { test, expect, hydrated, createFirstAdmin, signIn } from "./fixtures";

test("without email the outbox says so, and how to turn it on", async ({ page, warden, shot, consoleProblems }) => {
  await createFirstAdmin(page, warden);
  await signIn(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Outbox" }).click();
  await expect(page.getByRole("heading", { name: "Outbox", level: 1 })).toBeVisible();
  await hydrated(page);
  const delivery = page.getByRole("region", { name: "Delivery" });
  await expect(delivery).toContainText("Email is not configured.");
  await expect(delivery).toContainText("WARDEN_SMTP_URL");
  const messages = page.getByRole("region", { name: "Messages" });
  await expect(messages.getByRole("status")).toHaveText("Nothing has been sent yet.");
  await expect(messages.getByRole("link", { name: "All 0" })).toHaveAttribute("aria-current", "page");
  await expect(messages.getByRole("link", { name: "Failed 0" })).not.toHaveAttribute("aria-current");
  // One page only: no pager.
  await expect(page.getByRole("navigation", { name: "Pages" })).toHaveCount(0);
  await shot("outbox-email-off");

  // The filters are links: the address keeps the choice.
  await messages.getByRole("link", { name: "Failed 0" }).click();
  await expect(page).toHaveURL(/\/outbox\?status=failed$/);
  await expect(page.getByRole("region", { name: "Messages" }).getByRole("status")).toHaveText("No message has failed.");
  await expect(page.getByRole("link", { name: "Failed 0" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByRole("link", { name: "All 0" })).not.toHaveAttribute("aria-current");
  await shot("outbox-failed-filter");
});

test.describe("with email", () => {
  test.use({ email: true });

  test("the outbox names the mail server it sends through", async ({ page, warden, shot, consoleProblems }) => {
    await createFirstAdmin(page, warden);
    await signIn(page);
    await expect(page.getByRole("heading", { name: /Welcome/ })).toBeVisible();
    await page.goto("/outbox");
    await hydrated(page);
    await expect(page.getByRole("region", { name: "Delivery" }))
      .toContainText(`Email is sent through 127.0.0.1:${warden.mail!.port} (no TLS).`);
    await shot("outbox-email-on");
  });
});
