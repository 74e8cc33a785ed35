// City staff on the booking lists page (/bookings) in Debian's Chromium, for
// tests/booking_browser.rs: logs in, waits for the list, reads the days, offices and rows it
// shows, looks up a booking's history, and photographs the page and its print layout.
// With SETTINGS=1 (a supervisor), it also changes test-office's card-pickup capacity to 3 and
// sets the citizen pages' banner through the settings section.
// Usage: node lists.mjs BASE_URL NAME PASSWORD CODE SHOTS_DIR   (CODE "-": no history look-up)
import { chromium } from "playwright-core";

const [base, name, password, code, shots] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on("pageerror", (e) => process.stderr.write(`[page error] ${e}\n`));
  await page.goto(base + "/bookings");
  await page.fill("#login-name", name);
  await page.fill("#login-password", password);
  await page.click("#login-button");
  await page.waitForFunction(() => window.lists.loaded > 0, null, { timeout: 30000 });
  const days = await page.$$eval(".day", (els) => els.map((d) => ({ date: d.dataset.date, title: d.querySelector("h3").textContent, rows: d.querySelectorAll("tr").length })));
  const summary = await page.textContent("#summary");
  const csv = await page.getAttribute("#csv", "href");
  const stranded = await page.textContent("#stranded");
  let history = [];
  if (code !== "-") {
    await page.fill("#history-code", code);
    await page.click("#history-button");
    await page.waitForSelector("#history table");
    history = await page.$$eval("#history tr", (rows) => rows.map((r) => r.textContent));
  }
  await page.screenshot({ path: `${shots}/booking-lists.png`, fullPage: true });
  await page.emulateMedia({ media: "print" });
  await page.screenshot({ path: `${shots}/booking-lists-print.png`, fullPage: true });
  const printHidden = await page.$eval(".controls", (el) => getComputedStyle(el).display === "none");
  const printTitle = await page.textContent("#print-title");
  await page.emulateMedia({ media: "screen" });
  const settingsVisible = await page.isVisible("#settings-section");
  const settings = {};
  if (process.env.SETTINGS) {
    await page.selectOption("#slot-office", "test-office");
    await page.selectOption("#slot-service", "card_pickup");
    settings.before = await page.inputValue("#slot-capacity");
    await page.fill("#slot-capacity", "3");
    await page.fill("#slot-note", "窓口を1つ閉じるため");
    await page.click("#slot-save");
    await page.waitForFunction(() => document.getElementById("slot-result").textContent.length > 0);
    settings.slot = await page.textContent("#slot-result");
    await page.fill("#banner-message", "12月20日 2:00〜4:00 は保守のため予約できません。");
    await page.click("#banner-save");
    await page.waitForFunction(() => document.getElementById("banner-result").textContent.length > 0);
    settings.banner = await page.textContent("#banner-result");
  }
  process.stdout.write(JSON.stringify({ days, summary, csv, stranded, history, printHidden, printTitle, settingsVisible, settings }) + "\n");
} catch (e) {
  process.stdout.write(JSON.stringify({ error: String(e) }) + "\n");
  process.exitCode = 1;
}
await browser.close();
