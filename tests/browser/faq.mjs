// The FAQ book's page in Debian's Chromium, for tests/faq.rs: a supervisor searches
// 「カード受け取り」 without spaces, opens the entry, adds a line to its answer and proposes the
// revision; then city staff, in another browser context, approve it on the same page; the
// supervisor's page shows the new text. Prints what the pages showed as one JSON line;
// screenshots go to $TSUNAGU_SCREENSHOTS (faq-editor.png, faq-approval.png).
// Usage: node faq.mjs BASE_URL SUPERVISOR CITY PASSWORD
import { chromium } from "playwright-core";

const [base, supervisor, city, password] = process.argv.slice(2);
const shots = process.env.TSUNAGU_SCREENSHOTS;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
const pages = [];
const logs = [];
async function logIn(name) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, locale: "ja-JP" });
  const page = await context.newPage();
  pages.push(page);
  page.on("pageerror", (e) => logs.push(name + ": " + String(e)));
  page.on("response", (r) => { if (r.status() >= 400) logs.push(name + ": " + r.status() + " " + r.url()); });
  await page.goto(base + "/faq");
  await page.fill("#login-name", name);
  await page.fill("#login-password", password);
  await page.click("#login-form button");
  await page.waitForFunction(() => window.faq.results !== null, null, { timeout: 30000 });
  return page;
}
let stage = "log in";
let added = [];
try {
  const boss = await logIn(supervisor);
  stage = "search";
  await boss.fill("#q", "カード受け取り");
  await boss.waitForFunction(() => window.faq.results && window.faq.results.length > 0 && window.faq.results[0].id === "card-pickup", null, { timeout: 30000 });
  const found = await boss.evaluate(() => window.faq.results.map((e) => e.id));
  stage = "open the entry";
  await boss.click("#results li[data-id='card-pickup']");
  await boss.waitForFunction(() => window.faq.entry && window.faq.entry.entry && window.faq.entry.entry.id === "card-pickup", null, { timeout: 30000 });
  stage = "propose";
  const source = await boss.inputValue("#source");
  await boss.fill("#source", source.replace("<!-- lang: en -->", "ページから追記した一文です。\n<!-- lang: en -->"));
  await boss.click("#propose");
  await boss.waitForFunction(() => document.getElementById("propose-result").textContent.length > 0 || document.getElementById("propose-error").textContent.length > 0, null, { timeout: 30000 });
  const proposed = (await boss.textContent("#propose-result")) + (await boss.textContent("#propose-error"));
  if (shots) await boss.screenshot({ path: shots + "/faq-editor.png", fullPage: true });

  stage = "the city logs in";
  const reviewer = await logIn(city);
  await reviewer.waitForFunction(() => window.faq.pending !== null, null, { timeout: 30000 });
  const pendingForCity = await reviewer.$$eval("#pending .pending", (items) => items.length);
  added = await reviewer.$$eval("#pending .diff .added", (lines) => lines.map((l) => l.textContent));
  if (shots) await reviewer.screenshot({ path: shots + "/faq-approval.png", fullPage: true });
  stage = "approve";
  await reviewer.click("#pending .pending button.approve");
  await reviewer.waitForFunction(() => window.faq.pending && window.faq.pending.length === 0, null, { timeout: 30000 });

  stage = "the approved text";
  await boss.reload();
  await boss.waitForFunction(() => window.faq.results !== null, null, { timeout: 30000 });
  await boss.fill("#q", "カード受け取り");
  await boss.waitForFunction(() => window.faq.results && window.faq.results.length > 0 && window.faq.results[0].revision === 2, null, { timeout: 30000 });
  await boss.click("#results li[data-id='card-pickup']");
  await boss.waitForFunction(() => window.faq.entry && window.faq.entry.entry && window.faq.entry.entry.revision === 2, null, { timeout: 30000 });
  const answerAfter = await boss.textContent("#entry-answer");
  process.stdout.write(JSON.stringify({ found, proposed, pending_for_city: pendingForCity, added, answer_after: answerAfter }) + "\n");
} catch (e) {
  const shown = [];
  for (const page of pages) shown.push(await page.evaluate(() => document.body.innerText.slice(0, 600)).catch((e) => String(e)));
  process.stdout.write(JSON.stringify({ error: String(e), stage, pages: shown, logs }) + "\n");
  process.exitCode = 1;
}
await browser.close();
