// A supervisor on the call review page (/review) in Debian's Chromium (1280×800): logs in,
// searches the recordings for QUERY, opens CALL_ID, waits for the recording's metadata, clicks
// the SEGMENT-th transcript segment (from 1) and checks that the player seeks there and marks
// that segment as playing, reads the transcript, wrap-ups and bookings the page shows,
// photographs the page (review.png into TSUNAGU_SCREENSHOTS when set) and downloads the
// complaint package. Prints one JSON object on stdout; on failure {"error": …} and exit code 1.
// Usage: node review.mjs BASE_URL NAME PASSWORD QUERY CALL_ID [SEGMENT]
//   QUERY "-" or "": no full-text query. FROM and TO (env, YYYY-MM-DD) set the search period;
//   without them the page's default (today in Tokyo) stands.
import { stat, open } from "node:fs/promises";
import path from "node:path";
import { chromium } from "playwright-core";

const [base, name, password, queryArg, callId, segmentArg] = process.argv.slice(2);
const query = queryArg === "-" ? "" : queryArg || "";
const nth = Number(segmentArg || 1);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--autoplay-policy=no-user-gesture-required"],
});
let page;
try {
  if (!base || !name || !password || !callId || !(nth >= 1)) {
    throw new Error("usage: node review.mjs BASE_URL NAME PASSWORD QUERY CALL_ID [SEGMENT]");
  }
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true, locale: "ja-JP" });
  page = await context.newPage();
  page.on("pageerror", (e) => process.stderr.write(`[page error] ${e}\n`));
  // Waits for a condition in the page; on time-out says what the page's error line shows.
  const until = async (what, fn, arg, timeout = 30000) => {
    try {
      await page.waitForFunction(fn, arg, { timeout, polling: 100 });
    } catch (e) {
      const shown = await page.textContent("#message").catch(() => "");
      throw new Error(`${what}: ${e.message.split("\n")[0]}${shown ? ` (the page says: ${shown})` : ""}`);
    }
  };

  await page.goto(base + "/review");
  await page.fill("#login-name", name);
  await page.fill("#login-password", password);
  await page.click("#login-button");
  await until("the page did not start", () => window.review && window.review.ready);

  if (process.env.FROM) await page.fill("#from", process.env.FROM);
  if (process.env.TO) await page.fill("#to", process.env.TO);
  await page.fill("#q", query);
  const before = await page.evaluate(() => [window.review.searches, window.review.failures]);
  await page.click("#search-button");
  await until("the search did not finish", ([[n, f], q]) => (window.review.searches > n && window.review.query === q) || window.review.failures > f, [before, query]);
  if (await page.evaluate((f) => window.review.failures > f, before[1])) throw new Error("the search failed");
  const rows = await page.$$eval("#results tbody tr[data-call]", (trs) => trs.map((tr) => ({
    call_id: tr.dataset.call,
    flags: tr.dataset.flags.split(" ").filter(Boolean),
    badges: [...tr.querySelectorAll(".badge")].map((b) => b.textContent),
    cells: [...tr.cells].map((td) => td.textContent.trim()),
    marked: [...tr.querySelectorAll(".snippet mark")].map((m) => m.textContent),
  })));
  const summary = await page.textContent("#summary");

  // The call's row when the search found it; otherwise the page's own link to a call.
  const row = page.locator(`#results tbody tr[data-call=${JSON.stringify(callId)}]`);
  let openedVia = "row";
  if (await row.count()) await row.locator("td.snippet").click();
  else {
    openedVia = "url";
    await page.goto(`${base}/review?call=${encodeURIComponent(callId)}`);
  }
  // Opened, or refused (the page then says why in #message).
  await until("the call did not open", (id) => (window.review.detail && window.review.detail.call_id === id) ||
    (window.review.ready && document.getElementById("message").textContent !== ""), callId);
  if (!(await page.evaluate((id) => window.review.detail && window.review.detail.call_id === id, callId))) {
    throw new Error(`the call ${callId} did not open`);
  }
  await until("the recording did not load", () => document.getElementById("player").readyState >= 1);
  const audio = await page.$eval("#player", (a) => ({ duration: a.duration, src: a.getAttribute("src") }));

  const segments = await page.$$eval("#segments li[data-start-ms]", (lis) => lis.map((li) => ({
    start_ms: Number(li.dataset.startMs), end_ms: Number(li.dataset.endMs), speaker: li.dataset.speaker,
    label: li.querySelector(".speaker").textContent, time: li.querySelector(".time").textContent,
    text: li.querySelector(".text").textContent,
  })));
  if (segments.length < nth) throw new Error(`the transcript shows ${segments.length} segments, not ${nth}`);
  const segment = segments[nth - 1];
  // The player's position once the seek the click asks for is done.
  await page.evaluate(() => {
    window.reviewTest = { seekedAt: null };
    document.getElementById("player").addEventListener("seeked", (e) => {
      if (window.reviewTest.seekedAt === null) window.reviewTest.seekedAt = e.target.currentTime;
    });
  });
  const item = page.locator("#segments li[data-start-ms]").nth(nth - 1);
  await item.click();
  await until("the player did not seek", () => window.reviewTest.seekedAt !== null, null, 10000);
  const seekedAt = await page.evaluate(() => window.reviewTest.seekedAt);
  // Half a second into the segment (or half its length, if shorter), then is it the one lit?
  const target = (segment.start_ms + Math.min(500, (segment.end_ms - segment.start_ms) / 2)) / 1000;
  await until("the recording did not play", (t) => {
    const a = document.getElementById("player");
    return a.currentTime >= t || a.ended;
  }, target, 15000);
  const lit = await page.waitForFunction((i) => document.querySelectorAll("#segments li[data-start-ms]")[i].classList.contains("playing"),
    nth - 1, { timeout: 2000, polling: 100 }).then(() => true, () => false);
  const played = await page.$eval("#player", (a) => ({ current_time: a.currentTime, paused: a.paused }));
  const playing = await page.$$eval("#segments li.playing", (lis) => lis.map((li) => Number(li.dataset.startMs)));
  await page.$eval("#player", (a) => a.pause());

  const table = (id) => page.$$eval(`#${id} tbody tr`, (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent.trim())));
  const shown = {
    wrapups: await table("wrapups"),
    wrapups_text: (await page.textContent("#wrapups")).trim(),
    bookings: await table("bookings"),
    bookings_text: (await page.textContent("#bookings")).trim(),
    marks: await page.$$eval("#marks-track button.tick", (ts) => ts.map((t) => ({ kind: t.dataset.kind, at_ms: Number(t.dataset.atMs), left: t.style.left }))),
    flags: await page.$$eval("#detail-flags .badge", (bs) => bs.map((b) => b.dataset.flag)),
    hold_button: await page.isVisible("#hold-button"),
    release_button: await page.isVisible("#release-button"),
    audit_note: (await page.locator("#detail .note", { hasText: "監査ログ" }).count()) > 0,
  };

  let screenshot = null;
  if (process.env.TSUNAGU_SCREENSHOTS) {
    screenshot = path.join(process.env.TSUNAGU_SCREENSHOTS, "review.png");
    await page.screenshot({ path: screenshot, fullPage: true });
  }

  const [download] = await Promise.all([page.waitForEvent("download", { timeout: 30000 }), page.click("#package-link")]);
  const failure = await download.failure();
  if (failure) throw new Error(`the package download failed: ${failure}`);
  const file = await download.path();
  const head = Buffer.alloc(4);
  const handle = await open(file);
  await handle.read(head, 0, 4, 0);
  await handle.close();
  const pkg = { filename: download.suggestedFilename(), bytes: (await stat(file)).size, zip: head.equals(Buffer.from("PK\x03\x04", "latin1")) };

  process.stdout.write(JSON.stringify({
    query, rows, summary, opened_via: openedVia, call_id: callId, audio,
    segment: { n: nth, ...segment, seeked_to: seekedAt, played_to: played.current_time, paused: played.paused, playing: lit, playing_starts: playing },
    segments, ...shown, screenshot, package: pkg,
  }) + "\n");
} catch (e) {
  const message = await page?.textContent("#message").catch(() => null);
  process.stdout.write(JSON.stringify({ error: String(e), message }) + "\n");
  process.stderr.write(`review.mjs: ${e}\n`);
  process.exitCode = 1;
}
await browser.close();
