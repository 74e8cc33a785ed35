// A resident on a phone: Debian's Chromium with a phone-sized viewport (390×844, touch) on the
// citizen page /yoyaku, for tests/booking_browser.rs. Books a card pickup at OFFICE, keeps the
// code and secret, finds the booking with them, moves it, cancels it; screenshots to SHOTS_DIR.
// Prints one JSON line per step.
// Usage: node citizen.mjs BASE_URL OFFICE SHOTS_DIR FROM_DATE (the first date to book on: the
// booker may change only outside the change deadline)
import { chromium } from "playwright-core";

const [base, office, shots, fromDate] = process.argv.slice(2);
const emit = (step, data = {}) => process.stdout.write(JSON.stringify({ step, ...data }) + "\n");
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
try {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: "ja-JP", timezoneId: "UTC" });
  const page = await context.newPage();
  page.on("pageerror", (e) => process.stderr.write(`[page error] ${e}\n`));
  const until = (fn, arg) => page.waitForFunction(fn, arg, { timeout: 30000, polling: 100 });
  await page.goto(base + "/yoyaku");
  await until(() => document.getElementById("booking").dataset.ready === "true");
  await until(() => document.querySelectorAll("#language-notes li").length > 0);
  const notes = await page.$$eval("#language-notes li", (items) => items.map((i) => ({ lang: i.lang, text: i.textContent })));
  const banner = await page.$eval("#status", (el) => (el.hidden ? null : el.textContent));
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  emit("page", { notes, banner, width });

  await page.tap('input[name="bk-service"][value="card_pickup"]');
  await page.selectOption("#bk-office", office);
  await page.tap('input[name="bk-visitor"][value="resident"]');
  for (const box of await page.$$("#bk-checklist input[type=checkbox]")) await box.tap();
  await page.waitForSelector("#bk-grid .bk-slot:not([disabled])");
  const slot = await page.$$eval("#bk-grid .bk-slot:not([disabled])", (buttons, from) => buttons.map((b) => b.dataset.slot).find((s) => s >= from), fromDate);
  await page.tap(`#bk-grid .bk-slot[data-slot="${slot}"]`);
  await page.fill("#bk-email", "resident@example.jp");
  await page.tap("#bk-book");
  await page.waitForSelector("#bk-code");
  const code = (await page.textContent("#bk-code")).trim();
  const secret = (await page.textContent("#bk-secret")).trim();
  await page.screenshot({ path: `${shots}/citizen-booked.png`, fullPage: true });
  emit("booked", { code, secret, slot, when: await page.textContent("#bk-when"), width: await page.evaluate(() => document.documentElement.scrollWidth) });

  await page.tap("#bk-tab-find");
  await page.fill("#bk-find-code", code);
  await page.fill("#bk-find-secret", "000000");
  await page.tap("#bk-find-button");
  await until(() => (document.getElementById("bk-message").textContent || "").includes("違います"));
  emit("wrong_secret", { shown: await page.textContent("#bk-message") });
  await page.fill("#bk-find-secret", secret);
  await page.tap("#bk-find-button");
  await page.waitForSelector("#bk-move-grid .bk-slot:not([disabled])");
  const other = await page.$$eval("#bk-move-grid .bk-slot:not([disabled])", (buttons, [slot, from]) => buttons.map((b) => b.dataset.slot).find((s) => s !== slot && s >= from), [slot, fromDate]);
  await page.tap(`#bk-move-grid .bk-slot[data-slot="${other}"]`);
  await page.tap("#bk-move");
  await until(() => (document.getElementById("bk-message").textContent || "").includes("変更しました"));
  emit("changed", { to: other, when: await page.textContent("#bk-found-when") });
  page.once("dialog", (dialog) => dialog.accept());
  await page.tap("#bk-cancel");
  await until(() => (document.getElementById("bk-found-status").textContent || "").includes("取消"));
  await page.screenshot({ path: `${shots}/citizen-cancelled.png`, fullPage: true });
  emit("cancelled", { status: await page.textContent("#bk-found-status") });
} catch (e) {
  emit("failed", { error: String(e) });
  process.exitCode = 1;
}
await browser.close();
