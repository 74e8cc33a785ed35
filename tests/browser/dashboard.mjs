// The supervisors' dashboard in Debian's Chromium, for tests/dashboard.rs: logs in on
// /dashboard, waits for today's figures and charts, then opens the history of FROM..TO, waits
// for its charts, downloads the CSV through the page's link and prints what the page shows as
// one JSON line. Screenshots go to $TSUNAGU_SCREENSHOTS (dashboard-live.png,
// dashboard-history.png).
// Usage: node dashboard.mjs BASE_URL NAME PASSWORD FROM TO
import { chromium } from "playwright-core";

const [base, name, password, from, to] = process.argv.slice(2);
const shots = process.env.TSUNAGU_SCREENSHOTS;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 }, acceptDownloads: true, locale: "ja-JP" });
  await page.goto(base + "/dashboard");
  await page.fill("#login-name", name);
  await page.fill("#login-password", password);
  await page.click("#login-form button");
  await page.waitForFunction(() => window.dashboard.live && window.dashboard.drawn.intervals > 0, null, { timeout: 30000 });
  if (shots) await page.screenshot({ path: shots + "/dashboard-live.png", fullPage: true });
  const live = {
    rate: await page.textContent("#live-rate"),
    rate_class: await page.getAttribute("#live-rate", "class"),
    staffed: await page.textContent("#live-staffed"),
    needed: await page.textContent("#live-needed"),
    warnings: await page.$$eval("#warning-list li", (items) => items.map((li) => ({ code: li.dataset.code, text: li.textContent }))),
    interval_bars: await page.$$eval("#intervals rect", (r) => r.length),
    trend_points: await page.evaluate(() => window.dashboard.drawn.trend),
    updated: await page.textContent("#updated"),
  };

  await page.click("#tab-history");
  await page.fill("#from", from);
  await page.fill("#to", to);
  await page.click("#show");
  await page.waitForFunction((f) => window.dashboard.history && window.dashboard.history.from === f && window.dashboard.drawn.heatmap > 0, from, { timeout: 30000 });
  if (shots) await page.screenshot({ path: shots + "/dashboard-history.png", fullPage: true });
  const download = page.waitForEvent("download");
  await page.click("#csv-detail");
  const file = await download;
  const stream = await file.createReadStream();
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  const csv = Buffer.concat(chunks);
  const history = {
    total_rate: await page.textContent("#total-rate"),
    missed_days: await page.textContent("#missed-days"),
    day_bars: await page.$$eval("#daily rect[data-date]", (r) => r.map((x) => ({ date: x.dataset.date, fill: x.getAttribute("fill") }))),
    target_line: await page.$$eval("#target-line", (l) => l.length),
    heatmap_cells: await page.evaluate(() => window.dashboard.drawn.heatmap),
    legend: await page.$$eval("#category-legend span", (s) => s.map((x) => x.textContent)),
    rows: await page.$$eval("#day-rows tr", (rows) => rows.map((r) => ({ text: r.textContent, missed: r.className === "missed" }))),
    csv_name: file.suggestedFilename(),
    csv_bom: csv.subarray(0, 3).toString("hex"),
    csv_head: csv.subarray(3).toString("utf8").split("\n")[0],
    csv_lines: csv.toString("utf8").trim().split("\n").length,
  };
  process.stdout.write(JSON.stringify({ live, history }) + "\n");
} catch (e) {
  process.stdout.write(JSON.stringify({ error: String(e) }) + "\n");
  process.exitCode = 1;
}
await browser.close();
