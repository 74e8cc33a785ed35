// The cases page in Debian's Chromium, for tests/cases.rs: a supervisor logs in on /cases,
// opens the escalation, reads its history, adds a note through the page and prints what the
// page shows as one JSON line. A screenshot goes to $TSUNAGU_SCREENSHOTS/cases.png.
// Usage: node cases.mjs BASE_URL NAME PASSWORD
import { chromium } from "playwright-core";

const [base, name, password] = process.argv.slice(2);
const shots = process.env.TSUNAGU_SCREENSHOTS;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: "ja-JP" });
  await page.goto(base + "/cases");
  await page.fill("#login-name", name);
  await page.fill("#login-password", password);
  await page.click("#login-form button");
  await page.waitForFunction(() => window.cases.list && window.cases.list.length > 0, null, { timeout: 30000 });
  await page.click("#rows tr:has-text('エスカレーション')");
  await page.waitForFunction(() => window.cases.detail && window.cases.detail.case.kind === "escalation", null, { timeout: 30000 });
  const before = await page.$$eval("#events li", (items) => items.length);
  await page.fill("#note", "ページから追記したメモ");
  await page.click("#buttons button[data-step='note']");
  await page.waitForFunction((n) => document.querySelectorAll("#events li").length > n, before, { timeout: 30000 });
  if (shots) await page.screenshot({ path: shots + "/cases.png", fullPage: true });
  const shown = {
    rows: await page.$$eval("#rows tr", (rows) => rows.length),
    events: await page.$$eval("#events li", (items) => items.map((li) => li.textContent)),
    status: await page.textContent("#case-status"),
    error: await page.textContent("#error"),
  };
  process.stdout.write(JSON.stringify(shown) + "\n");
} catch (e) {
  process.stdout.write(JSON.stringify({ error: String(e) }) + "\n");
  process.exitCode = 1;
}
await browser.close();
