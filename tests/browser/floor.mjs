// A supervisor's live floor page in Debian's Chromium, for tests/softphone_browser.rs: logs in
// on /floor, waits until the page shows at least ANSWERED answered calls, then prints what the
// page shows (the rendered answer rate and agents' rows) as one JSON line.
// Usage: node floor.mjs BASE_URL NAME PASSWORD ANSWERED
import { chromium } from "playwright-core";

const [base, name, password, answered] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
try {
  const page = await browser.newPage();
  await page.goto(base + "/floor");
  await page.fill("#login-name", name);
  await page.fill("#login-password", password);
  await page.click("#login-form button");
  await page.waitForFunction((n) => window.floor.last && window.floor.last.answered >= n, Number(answered), { timeout: 30000 });
  const shown = {
    rate: await page.textContent("#answer-rate"),
    target: await page.textContent("#target"),
    agents: await page.$$eval("#agents tr", (rows) => rows.map((r) => r.textContent)),
    supervisors: await page.$$eval("#supervisors tr", (rows) => rows.map((r) => r.textContent)),
    updated: await page.textContent("#updated"),
    waiting: await page.textContent("#waiting-count"),
  };
  process.stdout.write(JSON.stringify(shown) + "\n");
} catch (e) {
  process.stdout.write(JSON.stringify({ error: String(e) }) + "\n");
  process.exitCode = 1;
}
await browser.close();
