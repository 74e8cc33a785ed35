// The reports page in Debian's Chromium, for tests/reports.rs: city staff log in on /reports,
// choose a month and a day, and follow the page's links: the monthly report opens as HTML, the
// daily CSV downloads. Prints what the page gave as one JSON line.
// Usage: node reports.mjs BASE_URL NAME PASSWORD MONTH DATE
import { chromium } from "playwright-core";

const [base, name, password, month, date] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
try {
  const context = await browser.newContext({ locale: "ja-JP", acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(base + "/reports");
  await page.fill("#login-name", name);
  await page.fill("#login-password", password);
  await page.click("#login-form button");
  await page.waitForSelector("#reports-view:not(.hidden)");
  await page.fill("#month", month);
  await page.dispatchEvent("#month", "change");
  await page.fill("#date", date);
  await page.dispatchEvent("#date", "change");
  const monthly = await page.getAttribute("#monthly-links a[data-format='html']", "href");
  const [report] = await Promise.all([context.waitForEvent("page"), page.click("#monthly-links a[data-format='html']")]);
  await report.waitForLoadState();
  const title = await report.textContent("h1");
  const period = await report.textContent("p.big");
  const download = page.waitForEvent("download");
  await page.click("#daily-links a[data-format='csv']");
  const file = await download;
  const chunks = [];
  for await (const chunk of await file.createReadStream()) chunks.push(chunk);
  const csv = Buffer.concat(chunks);
  process.stdout.write(JSON.stringify({ monthly, title, period, csv_name: file.suggestedFilename(), csv_bom: csv.subarray(0, 3).toString("hex") }) + "\n");
} catch (e) {
  process.stdout.write(JSON.stringify({ error: String(e) }) + "\n");
  process.exitCode = 1;
}
await browser.close();
