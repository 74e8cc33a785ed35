// The agents of ops/bench/softphones: N pages of headless Chromium, each its own browser
// context (its own login), each a softphone that goes ready, answers the call that rings,
// talks, hangs up and files the wrap-up. Prints JSON lines; the last one is the summary.
// One Chromium carries at most 10 agents: past 15 pages with a microphone, one Chromium
// process leaves the 16th page's getUserMedia pending for ever (seen here; agents have a
// machine each anyway).
// Usage: node softphones.mjs BASE_URL AGENTS TALK_SECONDS FAKE_MIC_WAV
import { createRequire } from "node:module";
const require = createRequire(new URL("../../tests/browser/package.json", import.meta.url));
const { chromium } = require("playwright-core");

const [base, count, talk, wav] = process.argv.slice(2);
const agents = Number(count);
const emit = (step, data = {}) => process.stdout.write(JSON.stringify({ step, ...data }) + "\n");
const started = Date.now();

const PER_BROWSER = 10;
const launch = () => chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
    `--use-file-for-fake-audio-capture=${wav}`, "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
  ],
});
const browsers = [];
for (let i = 0; i < Math.ceil(agents / PER_BROWSER); i++) browsers.push(await launch());
const closeAll = () => Promise.all(browsers.map((b) => b.close()));

async function inbound(page) {
  return page.evaluate(async () => {
    const out = { received: 0, lost: 0, sent: 0 };
    (await window.softphone.pc.getStats()).forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "audio") { out.received = s.packetsReceived; out.lost = s.packetsLost; }
      if (s.type === "outbound-rtp" && s.kind === "audio") out.sent = s.packetsSent;
    });
    return out;
  });
}

async function openAgent(n) {
  const context = await browsers[Math.floor((n - 1) / PER_BROWSER)].newContext();
  const page = await context.newPage();
  await page.goto(base + "/");
  await page.fill("#login-name", `agent${n}`);
  await page.fill("#login-password", `bench-password-${n}`);
  const t0 = Date.now();
  await page.click("#login-button");
  try {
    await page.waitForFunction(() => window.softphone.pc && window.softphone.pc.connectionState === "connected", null, { timeout: 60000, polling: 20 });
  } catch (e) {
    const state = await page.evaluate(() => ({
      pc: window.softphone.pc && [window.softphone.pc.connectionState, window.softphone.pc.iceConnectionState, window.softphone.pc.iceGatheringState],
      ws: window.softphone.ws && window.softphone.ws.readyState,
      events: window.softphone.events.map((e) => e.type + (e.message ? ":" + e.message : "")),
    }));
    throw new Error(`agent${n}: the softphone audio did not connect: ${JSON.stringify(state)}`);
  }
  const connect_ms = Date.now() - t0;
  await page.click("#ready");
  await page.waitForFunction(() => window.softphone.state === "ready", null, { timeout: 30000 });
  return { n, page, connect_ms };
}

async function takeCall(agent, readyAt) {
  const { page } = agent;
  await page.waitForFunction(() => window.softphone.state === "offered", null, { timeout: 120000, polling: 20 });
  const ring_ms = Date.now() - readyAt;
  const before = await inbound(page);
  const t0 = Date.now();
  await page.click("#answer");
  let now = before;
  while (now.received <= before.received + 1 && Date.now() - t0 < 10000) {
    await page.waitForTimeout(20);
    now = await inbound(page);
  }
  const audio_ms = Date.now() - t0;
  const start = await inbound(page);
  await page.waitForTimeout(Number(talk) * 1000);
  const end = await inbound(page);
  await page.click("#hang-up");
  await page.waitForFunction(() => window.softphone.state === "wrap_up", null, { timeout: 30000 });
  await page.selectOption("#category", "other");
  await page.click("#save-wrap-up");
  await page.waitForFunction(() => window.softphone.events.some((e) => e.type === "wrap_up_saved"), null, { timeout: 30000 });
  const result = {
    n: agent.n, connect_ms: agent.connect_ms, ring_ms, audio_ms, answered: true,
    received: end.received - start.received, sent: end.sent - start.sent, lost: end.lost - start.lost,
  };
  emit("done", result);
  return result;
}

try {
  const opened = [];
  // Log in a few at a time, as a shift starts.
  for (let n = 1; n <= agents; n += 5) {
    const batch = [];
    for (let k = n; k < Math.min(n + 5, agents + 1); k++) batch.push(openAgent(k));
    opened.push(...(await Promise.all(batch)));
  }
  const readyAt = Date.now();
  emit("ready", { agents: opened.length });
  // A page too slow to answer in time misses its offer (the call goes to another agent):
  // counted, not fatal.
  const pages = await Promise.all(opened.map((a) => takeCall(a, readyAt).catch((e) => {
    const miss = { n: a.n, connect_ms: a.connect_ms, answered: false, error: String(e).split("\n")[0] };
    emit("missed", miss);
    return miss;
  })));
  emit("summary", { pages, seconds: (Date.now() - started) / 1000 });
} catch (e) {
  emit("failed", { error: String(e) });
  await closeAll();
  process.exit(1);
}
await closeAll();
