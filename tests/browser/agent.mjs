// An agent in a real browser: Debian's Chromium, headless, driven by playwright-core (which
// never downloads a browser). Used by tests/softphone_browser.rs, which reads the JSON lines this
// prints on stdout and places the calls.
//
// Usage: node agent.mjs BASE_URL NAME PASSWORD FAKE_MIC_WAV SCRIPT
//   SCRIPT "take-call": log in, get the audio up, go ready, answer the call that rings, measure
//           the audio both ways (getStats), hang up, file the wrap-up, end ready again.
//   SCRIPT "vanish":    log in, ready, answer, then close the browser mid-call.
//   SCRIPT "call-back": log in, not ready for outbound, dial DIAL (env), measure, hang up.
//   SCRIPT "transfer":  log in, ready, answer, blind-transfer to the agent TRANSFER_TO (env),
//                       file the wrap-up.
//   SCRIPT "book":      log in, ready, answer, then in the booking side panel book a card pickup
//                       at OFFICE (env), change it to another slot, cancel it; screenshot to
//                       SCREENSHOT (env) after booking; hang up and file the wrap-up.
import readline from "node:readline";
import { chromium } from "playwright-core";

const [base, name, password, wav, script] = process.argv.slice(2);
const emit = (step, data = {}) => process.stdout.write(JSON.stringify({ step, ...data }) + "\n");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
    `--use-file-for-fake-audio-capture=${wav}`,
    // Without it Chromium gathers no candidate on 127.0.0.1 and never connects.
    "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
  ],
});
const page = await browser.newPage();
page.on("console", (m) => process.stderr.write(`[page] ${m.text()}\n`));
page.on("pageerror", (e) => process.stderr.write(`[page error] ${e}\n`));
const until = (fn, arg, timeout = 30000) => page.waitForFunction(fn, arg, { timeout, polling: 100 });
// PACED=1: after each hold and mute step, wait for the test to say "go" (on stdin) once it has
// heard what the caller should hear. Without it the steps follow each other at once.
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const go = async () => { if (process.env.PACED) await lines.next(); };

// Waits until the audio connection has received and sent at least `n` packets more than in
// `before` (a stats() snapshot): audio flows both ways, however slow the machine. Polls.
async function untilPackets(before, n, timeout = 30000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const now = await stats();
    if ((now.packetsReceived || 0) - (before.packetsReceived || 0) >= n && (now.packetsSent || 0) - (before.packetsSent || 0) >= n) {
      return;
    }
    if (Date.now() > deadline) throw new Error(`fewer than ${n} packets each way in ${timeout} ms: ${JSON.stringify(now)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stats() {
  return page.evaluate(async () => {
    const out = {};
    (await window.softphone.pc.getStats()).forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "audio") {
        Object.assign(out, { packetsReceived: s.packetsReceived, packetsLost: s.packetsLost, audioLevel: s.audioLevel, totalAudioEnergy: s.totalAudioEnergy });
      }
      if (s.type === "outbound-rtp" && s.kind === "audio") out.packetsSent = s.packetsSent;
      if (s.type === "codec") out.codecs = (out.codecs || []).concat(s.mimeType);
    });
    return out;
  });
}

// Not ready for outbound calls, then (when DIAL_REFUSED is set) a number the dial plan refuses,
// then DIAL: connected, 4 s of audio, hang up, wrap-up.
async function callBack() {
  await page.selectOption("#not-ready-reason", "outbound");
  await page.click("#not-ready");
  await until(() => window.softphone.events.some((e) => e.type === "state" && e.reason === "outbound"));
  if (process.env.DIAL_REFUSED) {
    await page.fill("#dial-number", process.env.DIAL_REFUSED);
    await page.click("#dial");
    await until(() => window.softphone.events.some((e) => e.type === "error" && e.message.includes("may not be called")));
    emit("dial_refused", { shown: await page.textContent("#messages") });
  }
  await page.fill("#dial-number", process.env.DIAL);
  await page.click("#dial");
  await until(() => window.softphone.events.some((e) => e.type === "outbound_connected"), null, 30000);
  const call = await page.evaluate(() => window.softphone.outbound);
  emit("call_back_connected", { call });
  const before = await stats();
  await untilPackets(before, 150);
  const after = await stats();
  emit("call_back_stats", { before, after });
  await page.click("#hang-up");
  await until(() => window.softphone.events.some((e) => e.type === "outbound_ended"));
  await page.selectOption("#category", "issuance/status");
  await page.click("#save-wrap-up");
  await until((call) => window.softphone.events.some((e) => e.type === "wrap_up_saved" && e.call === call), call);
  emit("call_back_done", { call });
}

// The side panel during the call: service, office, who comes and the checklist, then two
// clicks (a slot, 予約する); the code is read back; then find it, move it, cancel it.
async function bookInSidePanel(call) {
  await page.setViewportSize({ width: 1400, height: 1000 });
  await until(() => document.getElementById("booking").dataset.ready === "true");
  await page.check('input[name="bk-service"][value="card_pickup"]');
  await page.selectOption("#bk-office", process.env.OFFICE);
  await page.check('input[name="bk-visitor"][value="resident"]');
  for (const box of await page.$$("#bk-checklist input[type=checkbox]")) await box.check();
  await page.waitForSelector("#bk-grid .bk-slot:not([disabled])");
  const slot = await page.getAttribute("#bk-grid .bk-slot:not([disabled])", "data-slot");
  const clicks = [];
  await page.click(`#bk-grid .bk-slot[data-slot="${slot}"]`); clicks.push("slot");
  await page.click("#bk-book"); clicks.push("book");
  await page.waitForSelector("#bk-code");
  const code = (await page.textContent("#bk-code")).trim();
  const shown = await page.textContent("#bk-result");
  if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
  emit("booked", { call, code, slot, clicks, shown, linked: await page.textContent("#booking-call") });
  await page.click("#bk-tab-find");
  await page.fill("#bk-find-code", code);
  await page.click("#bk-find-button");
  await page.waitForSelector("#bk-found-code");
  await page.waitForSelector("#bk-move-grid .bk-slot:not([disabled])");
  const other = await page.$$eval("#bk-move-grid .bk-slot:not([disabled])", (buttons, slot) => buttons.map((b) => b.dataset.slot).find((s) => s !== slot), slot);
  await page.click(`#bk-move-grid .bk-slot[data-slot="${other}"]`);
  // Inside the booker's change deadline (tomorrow's slots, at most hours of the day) staff
  // give a reason; the panel says so.
  const needsReason = () => (document.getElementById("bk-message").textContent || "").includes("理由");
  const changedOrRefused = () => { const m = document.getElementById("bk-message").textContent || ""; return m.includes("変更しました") || m.includes("理由"); };
  await page.click("#bk-move");
  await until(changedOrRefused);
  let reasonAsked = false;
  if (await page.evaluate(needsReason)) {
    reasonAsked = true;
    await page.fill("#bk-reason", "本人の希望（電話）");
    await page.click("#bk-move");
    await until(() => (document.getElementById("bk-message").textContent || "").includes("変更しました"));
  }
  emit("changed", { to: other, when: await page.textContent("#bk-found-when"), reasonAsked });
  page.on("dialog", (dialog) => dialog.accept());
  await page.fill("#bk-reason", "本人の希望（電話）");
  await page.click("#bk-cancel");
  await until(() => (document.getElementById("bk-found-status").textContent || "").includes("取消"));
  emit("cancelled", { history: await page.$$eval("#bk-history li", (items) => items.map((i) => i.textContent)) });
}

try {
  await page.goto(base + "/");
  await page.fill("#login-name", name);
  await page.fill("#login-password", password);
  await page.click("#login-button");
  await until(() => window.softphone.pc && window.softphone.pc.connectionState === "connected");
  if (script === "call-back") {
    await callBack();
    await browser.close();
    process.exit(0);
  }
  await page.click("#ready");
  await until(() => window.softphone.state === "ready");
  emit("ready");
  await until(() => window.softphone.state === "offered", null, 120000);
  // The ring's details (with the caller's earlier calls) may come just after the state.
  await until(() => {
    const offered = window.softphone.events.filter((e) => e.type === "state" && e.state === "offered").pop();
    return window.softphone.events.some((e) => e.type === "ringing" && e.call === offered.call);
  });
  const ringing = await page.evaluate(() => window.softphone.events.filter((e) => e.type === "ringing").pop());
  const shown = await page.textContent("#ring-caller");
  // The caller's earlier calls follow the ring in a message of their own.
  await until((call) => window.softphone.events.some((e) => e.type === "earlier_calls" && e.call === call), ringing.call);
  const history = await page.textContent("#ring-history");
  emit("ringing", { ringing, shown, history });
  await page.click("#answer");
  await until(() => window.softphone.state === "on_call");
  emit("connected", { call: ringing.call });
  if (script === "transfer") {
    await untilPackets({}, 25);
    await page.fill("#transfer-agent", process.env.TRANSFER_TO);
    await page.click("#transfer-to-agent");
    await until(() => window.softphone.state === "wrap_up");
    emit("transferred");
    // An escalation without a note is refused, and the form stays to be completed.
    await page.selectOption("#category", "other");
    await page.check("#escalation");
    await page.click("#save-wrap-up");
    await until(() => window.softphone.events.some((e) => e.type === "error" && e.message.includes("escalation needs a note")));
    emit("refused", { shown: await page.textContent("#messages") });
    await page.uncheck("#escalation");
    await page.fill("#notes", "asked for an English speaker");
    await page.click("#save-wrap-up");
    await until(() => window.softphone.events.some((e) => e.type === "wrap_up_saved"));
    emit("done", { call: ringing.call });
    // Then, when asked, a call-back (a resident the agent promised to call).
    if (process.env.DIAL) await callBack();
    await browser.close();
    process.exit(0);
  }
  if (script === "book") {
    await bookInSidePanel(ringing.call);
    await page.click("#hang-up");
    await until(() => window.softphone.state === "wrap_up");
    await page.selectOption("#category", "issuance/status");
    await page.click("#save-wrap-up");
    await until(() => window.softphone.events.some((e) => e.type === "wrap_up_saved"));
    emit("done", { call: ringing.call });
    await browser.close();
    process.exit(0);
  }
  if (script === "vanish") {
    await untilPackets({}, 50);
    emit("vanishing");
    await browser.close();
    emit("vanished");
    process.exit(0);
  }
  const before = await stats();
  await untilPackets(before, 150);
  const after = await stats();
  emit("stats", { before, after });
  // Hold: the caller hears the hold music; then mute: the caller hears nothing of the agent.
  await page.click("#hold");
  emit("hold_on");
  await go();
  await page.click("#hold");
  emit("hold_off");
  await go();
  await page.click("#mute");
  emit("mute_on");
  await go();
  await page.click("#mute");
  emit("mute_off");
  await go();
  await page.click("#hang-up");
  await until(() => window.softphone.state === "wrap_up");
  emit("wrap_up");
  await page.selectOption("#category", "renewal/card");
  await page.check("#escalation");
  await page.fill("#escalation-note", "wants a home visit");
  await page.fill("#notes", "asked about renewing the card before it expires");
  // The FAQ book, searched in Japanese without spaces; the answer used goes with the wrap-up.
  await page.fill("#faq-q", "電子証明書の更新");
  await page.waitForSelector("#faq-results li[data-id='certificate-renewal']");
  await page.click("#faq-results li[data-id='certificate-renewal']");
  await page.click("#faq-use");
  await until(() => document.getElementById("faq-used").textContent === "certificate-renewal");
  await page.click("#save-wrap-up");
  await until(() => window.softphone.events.some((e) => e.type === "wrap_up_saved"));
  await until(() => window.softphone.state === "ready");
  emit("done", { call: ringing.call });
} catch (e) {
  const events = await page.evaluate(() => window.softphone && window.softphone.events).catch(() => null);
  emit("failed", { error: String(e), events });
  await browser.close();
  process.exit(1);
}
await browser.close();
