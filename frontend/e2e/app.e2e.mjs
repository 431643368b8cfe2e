// End-to-end tests in real Chromium against the real backend and models:
// what a user sees while episodes process, and the viewer. Run through scripts/e2e.sh, which builds
// the -tags dev binary, serves it on 127.0.0.1 and sets:
//   E2E_URL        the dev server's address
//   E2E_MEDIA      folder with E2E_S01_E01.mp4, Broken_S01_E02.mp4 (0 bytes), Load_S02_E01..10.mp4
//   E2E_TMP        scratch folder (Chromium profile)
//   E2E_ARTIFACTS  where e2e.png (the last view) and e2e-cast.png (the Cast view) go
// The tests share one page and run in order: each builds on the state before.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const URL = need('E2E_URL');
const MEDIA = need('E2E_MEDIA');
const TMP = need('E2E_TMP');
const ARTIFACTS = need('E2E_ARTIFACTS');
const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const MAIN = path.join(MEDIA, 'E2E_S01_E01.mp4');
const MAIN_KEY = 'e2e_s01_e01';
const BROKEN = path.join(MEDIA, 'Broken_S01_E02.mp4');
const HOUR = path.join(MEDIA, 'Hour_S03_E01.mp4');
const HOUR_KEY = 'hour_s03_e01';
const LOAD = Array.from({ length: 10 }, (_, i) => path.join(MEDIA, `Load_S02_E${String(i + 1).padStart(2, '0')}.mp4`));

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set; run scripts/e2e.sh`);
  return v;
}

function log(...a) {
  console.log('  e2e:', ...a);
}

let context;
let page;

before(async () => {
  context = await chromium.launchPersistentContext(path.join(TMP, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 800 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (e) => {
    // /wails/ipc.js throws this on load in dev builds; harmless.
    if (!String(e.message).includes("reading 'nodes'")) log('page error:', e.message);
  });
  await page.goto(URL);
  await page.waitForFunction(() => typeof window.go?.main?.App?.AddVideos === 'function' && !!window.runtime);
  await page.locator('[data-testid="drop-zone"]').waitFor();
  // Sample 2 frames per second so the detect stage stays short on 2 cores;
  // through the same bound methods the Settings panel uses.
  await page.evaluate(async () => {
    const s = await window.go.main.App.GetSettings();
    await window.go.main.App.SaveSettings({ ...s, sample_fps: 2 });
  });
});

after(async () => {
  if (page) {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, 'e2e.png');
    await page.screenshot({ path: file, fullPage: false }).catch((e) => log('screenshot failed:', e.message));
    log('screenshot', file);
  }
  await context?.close();
});

/** Calls a bound method from the page, with a timeout (a call whose arguments fail to parse never settles). */
function callApp(method, ...args) {
  return page.evaluate(
    ([m, a]) =>
      Promise.race([
        window.go.main.App[m](...a),
        new Promise((_, rej) => setTimeout(() => rej(new Error(`${m} did not answer in 30 s`)), 30_000)),
      ]),
    [method, args],
  );
}

/** Delivers paths the way the native window does on a drop: the runtime's wails:file-drop event at a point inside the drop zone. */
async function dropFiles(paths) {
  await page.evaluate((p) => {
    const r = document.querySelector('[data-testid="drop-zone"]').getBoundingClientRect();
    window.runtime.EventsEmit('wails:file-drop', Math.round(r.left + r.width / 2), Math.round(r.top + r.height / 2), p);
  }, paths);
}

function episodeCount() {
  return page.evaluate(
    () => document.querySelectorAll('[data-testid^="episode-"]').length,
  );
}

test('add a generated video: stage-detect goes running → ok with progress between; inspector says detected: true', async () => {
  // Recorder: every state the detect card shows, sampled on each DOM change and every 20 ms.
  await page.evaluate(() => {
    const rec = { seen: [], last: '' };
    window.__detectRec = rec;
    const sample = () => {
      const card = document.querySelector('[data-testid="stage-detect"]');
      if (!card) return;
      const bar = card.querySelector('[data-testid="progress"]');
      const s = {
        t: performance.now(),
        status: card.getAttribute('data-status'),
        now: bar?.getAttribute('aria-valuenow') ?? null,
        max: bar?.getAttribute('aria-valuemax') ?? null,
        text: card.querySelector('[data-testid="progress-text"]')?.textContent?.replace(/\s+/g, ' ').trim() ?? '',
        eta: card.querySelector('[data-testid="eta"]')?.textContent ?? '',
      };
      const k = `${s.status}|${s.now}|${s.max}|${s.text}|${s.eta}`;
      if (k !== rec.last) {
        rec.last = k;
        rec.seen.push(s);
      }
    };
    new MutationObserver(sample).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    setInterval(sample, 20);
  });

  const t0 = Date.now();
  const added = await callApp('AddVideos', [MAIN]);
  assert.equal(added.length, 1);
  assert.equal(added[0].key, MAIN_KEY);
  const item = page.locator(`[data-testid="episode-${MAIN_KEY}"]`);
  await item.waitFor();
  await item.click();
  await page.locator('[data-testid="stage-detect"][data-status="running"]').waitFor({ timeout: 90_000 });
  log(`detect running after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await page.locator('[data-testid="stage-detect"][data-status="ok"]').waitFor({ timeout: 150_000 });
  log(`detect ok after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const seen = await page.evaluate(() => window.__detectRec.seen);
  const statuses = seen.map((s) => s.status).filter((s, i, a) => i === 0 || a[i - 1] !== s);
  log('detect card statuses:', statuses.join(' → '));
  const firstRunning = statuses.indexOf('running');
  assert.ok(firstRunning >= 0, 'stage-detect was never seen running');
  assert.ok(statuses.indexOf('ok', firstRunning) > firstRunning, `stage-detect did not go running → ok: ${statuses.join(' → ')}`);
  const between = seen.filter((s) => {
    const now = Number(s.now);
    const max = Number(s.max);
    return s.status === 'running' && s.now !== null && max > 0 && now > 0 && now < max;
  });
  assert.ok(between.length > 0, `no progress value 0 < x < 100% seen while running: ${JSON.stringify(seen.slice(0, 20))}`);
  const mid = between[Math.floor(between.length / 2)];
  log(`progress values seen while running: ${between.length}; e.g. aria-valuenow=${mid.now}/${mid.max} "${mid.text}" eta "${mid.eta}"`);
  assert.match(mid.text, /\d+\s*%/, 'progress text shows a percentage');

  await page.locator('[data-testid="toggle-inspector"]').click();
  await page.locator('[data-testid="inspector"]').waitFor();
  const detected = page.locator('[data-testid="registry-detected"]');
  await page.waitForFunction(
    () => /detected:\s*true/.test(document.querySelector('[data-testid="registry-detected"]')?.textContent ?? ''),
    null,
    { timeout: 30_000 },
  );
  log('inspector:', (await detected.textContent()).replace(/\s+/g, ' ').trim());
});

test('a broken file shows toast-error; View Logs shows log lines with the error code', async () => {
  const before = await episodeCount();
  await dropFiles([BROKEN]);
  const toast = page.locator('[data-testid="toast-error"][data-code="ERR_VIDEO_UNREADABLE"]');
  await toast.first().waitFor({ timeout: 60_000 });
  log('toast:', (await toast.first().innerText()).replace(/\s+/g, ' ').trim());
  assert.equal(await episodeCount(), before + 1, 'the broken file is listed as an episode');
  await toast.first().locator('[data-testid="view-logs"]').click();
  await page.locator('[data-testid="log-panel"]').waitFor();
  await page.waitForFunction(
    () => (document.querySelector('[data-testid="log-lines"]')?.textContent ?? '').includes('ERR_VIDEO_UNREADABLE'),
    null,
    { timeout: 30_000 },
  );
  const lines = (await page.locator('[data-testid="log-lines"]').textContent()).split('\n');
  const hit = lines.filter((l) => l.includes('ERR_VIDEO_UNREADABLE'));
  log(`log panel: ${lines.length} lines, ${hit.length} with the code; e.g. ${hit[0].trim()}`);
  await page.keyboard.press('Escape');
  await page.locator('[data-testid="log-panel"]').waitFor({ state: 'detached', timeout: 5_000 });
});

test('adding the same file again selects the existing episode instead of duplicating it', async () => {
  const before = await episodeCount();
  const selected = () =>
    page.evaluate(() => document.querySelector('[data-testid^="episode-"][aria-current="true"]')?.getAttribute('data-testid'));
  assert.notEqual(await selected(), `episode-${MAIN_KEY}`, 'another episode is selected before the second add');

  // Through the drop handler (which calls AddVideos and selects what it returns) …
  await dropFiles([MAIN]);
  await page.waitForFunction(
    (id) => document.querySelector('[data-testid^="episode-"][aria-current="true"]')?.getAttribute('data-testid') === id,
    `episode-${MAIN_KEY}`,
    { timeout: 15_000 },
  );
  // … and straight through the bound method.
  const again = await callApp('AddVideos', [MAIN]);
  assert.equal(again.length, 1);
  assert.equal(again[0].key, MAIN_KEY);
  await page.waitForTimeout(500); // an extra list entry would arrive by event
  assert.equal(await episodeCount(), before, 'no duplicate entry');
  assert.equal(await page.locator(`[data-testid="episode-${MAIN_KEY}"]`).count(), 1);
  // Its finished run is on the Pipeline tab (an analysed episode opens on the viewer).
  await page.locator('[data-testid="tab-pipeline"]').click();
  assert.equal(await page.locator('[data-testid="stage-detect"]').getAttribute('data-status'), 'ok', 'its finished run is shown');
  log(`episodes listed: ${before}; selected: ${await selected()}`);
});

test('event cost with 10 episodes queued/running: ≤ 4 progress renders per second per stage; frame times', async () => {
  const keys = (await callApp('AddVideos', LOAD)).map((e) => e.key);
  assert.equal(keys.length, 10);
  const first = keys[0];
  await page.locator(`[data-testid="episode-${first}"]`).click();
  // Wait for the first one to reach a heavy, progress-reporting stage.
  await page.locator('[data-testid="stage-detect"][data-status="running"]').waitFor({ timeout: 120_000 });
  await page.waitForFunction(
    () => Number(document.querySelector('[data-testid="stage-detect"] [data-testid="progress"]')?.getAttribute('aria-valuenow')) > 0,
    null,
    { timeout: 60_000 },
  );

  // Burst: the backend throttles progress events itself (about 4/s per stage),
  // so the real stream never sends the UI more than that. To show the UI's
  // own cap, replay the last real event of the running stage 50×/s for 3 s
  // (only the rate changes, so nothing false is shown) and count renders.
  const burst = await page.evaluate(async ({ ms, perSecond }) => {
    const PROGRESS = '[data-testid="progress"], [data-testid="progress-text"], [data-testid="rate"], [data-testid="eta"]';
    const key = document.querySelector('[data-testid^="episode-"][aria-current="true"]')?.getAttribute('data-testid')?.slice('episode-'.length);
    let base = null;
    let stop = false;
    const reals = [];
    const renderTimes = [];
    const off = window.runtime.EventsOn('castscope:stage', (ev) => {
      if (ev?.episode_key !== key || ev.stage !== 'detect' || ev.synthetic) return;
      reals.push([Math.round(performance.now()), ev.status, ev.eta_state, ev.slow, ev.attempt, ev.next_retry_at, ev.done, ev.job_id].join(' '));
      if (ev.status !== 'running') stop = true;
      else base = ev;
    });
    const t0 = performance.now();
    while (!base && performance.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
    if (!base) {
      if (typeof off === 'function') off();
      return { error: 'no real detect event arrived within 5 s' };
    }
    const per = [];
    // One render can reach the observer as two callbacks (DOM changes made
    // in consecutive microtasks); changes closer than 50 ms count as one
    // render. Coalesced renders are ≥ 250 ms apart, so none is merged away.
    let lastRender = -Infinity;
    const mo = new MutationObserver((muts) => {
      const el = (n) => (n.nodeType === 1 ? n : n.parentElement);
      if (muts.some((mu) => el(mu.target)?.closest?.('[data-testid="stage-detect"]') && el(mu.target).closest(PROGRESS))) {
        const now = performance.now();
        if (now - lastRender < 50) return;
        lastRender = now;
        renderTimes.push(Math.round(now));
        const b = Math.floor((now - t1) / 1000);
        per[b] = (per[b] ?? 0) + 1;
      }
    });
    const t1 = performance.now();
    mo.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    let sent = 0;
    while (!stop && performance.now() - t1 < ms) {
      const status = document.querySelector('[data-testid="stage-detect"]')?.getAttribute('data-status');
      if (status !== 'running') break;
      window.runtime.EventsEmit('castscope:stage', {
        ...base,
        synthetic: true,
        rate: (base.rate || 1) * (1 + ((sent % 7) + 1) / 100),
        at: new Date().toISOString(),
      });
      sent++;
      await new Promise((r) => setTimeout(r, 1000 / perSecond));
    }
    const seconds = (performance.now() - t1) / 1000;
    await new Promise((r) => setTimeout(r, 300)); // let a held-back update land in the last bucket
    mo.disconnect();
    if (typeof off === 'function') off();
    return { reals, renderTimes, sent, seconds, per: Array.from({ length: Math.ceil(seconds) }, (_, i) => per[i] ?? 0) };
  }, { ms: 3_000, perSecond: 50 });
  if (burst.error) {
    // The selected episode's detect runs for tens of seconds here: no event
    // in 5 s is the stall this product must never show.
    assert.fail(`burst: ${burst.error}`);
  } else {
    if (Math.max(...burst.per) > 4) log(`burst real events: ${JSON.stringify(burst.reals)} renders at ${JSON.stringify(burst.renderTimes)}`);
    log(`burst: ${burst.sent} castscope:stage events in ${burst.seconds.toFixed(1)} s (${(burst.sent / burst.seconds).toFixed(0)}/s) → stage-detect progress renders/s [${burst.per.join(', ')}]`);
    assert.ok(burst.sent > 20, `the burst sent only ${burst.sent} events (the stage finished too soon?)`);
    assert.ok(Math.max(...burst.per) <= 4, `burst: ${Math.max(...burst.per)} progress renders in one second (limit 4)`);
    assert.ok(burst.per.reduce((a, b) => a + b, 0) > 0, 'burst: the card never re-rendered');
  }

  const m = await page.evaluate(async (ms) => {
    const PROGRESS = '[data-testid="progress"], [data-testid="progress-text"], [data-testid="rate"], [data-testid="eta"]';
    const t0 = performance.now();
    const renders = {}; // "stage-x" → [count per 1 s bucket]
    const anyRenders = {}; // any DOM change inside a stage card
    const events = {}; // "job/stage" → castscope:stage events received
    const bump = (o, k, b) => {
      (o[k] ??= [])[b] = ((o[k] ?? [])[b] ?? 0) + 1;
    };
    const lastRender = {};
    const mo = new MutationObserver((muts) => {
      const b = Math.floor((performance.now() - t0) / 1000);
      const prog = new Set();
      const any = new Set();
      for (const mu of muts) {
        const el = mu.target.nodeType === 1 ? mu.target : mu.target.parentElement;
        const card = el?.closest?.('[data-testid^="stage-"]');
        if (!card) continue;
        const id = card.getAttribute('data-testid');
        any.add(id);
        if (el.closest(PROGRESS)) prog.add(id);
      }
      const now = performance.now();
      for (const id of prog) {
        if (now - (lastRender[id] ?? -Infinity) < 50) continue; // one render seen twice (see the burst)
        lastRender[id] = now;
        bump(renders, id, b);
      }
      for (const id of any) bump(anyRenders, id, b);
    });
    mo.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    const off = window.runtime.EventsOn('castscope:stage', (ev) => {
      if (ev?.status === 'running') events[`${ev.episode_key}/${ev.stage}`] = (events[`${ev.episode_key}/${ev.stage}`] ?? 0) + 1;
    });
    const deltas = [];
    await new Promise((resolve) => {
      let last = performance.now();
      const tick = (now) => {
        deltas.push(now - last);
        last = now;
        if (now - t0 < ms) requestAnimationFrame(tick);
        else resolve();
      };
      requestAnimationFrame(tick);
    });
    mo.disconnect();
    if (typeof off === 'function') off();
    const seconds = (performance.now() - t0) / 1000;
    const sorted = deltas.slice(1).sort((a, b) => a - b);
    const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
    const fill = (o) =>
      Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Array.from({ length: Math.ceil(seconds) }, (_, i) => v[i] ?? 0)]));
    return {
      seconds,
      frames: sorted.length,
      p50: q(0.5),
      p95: q(0.95),
      max: sorted.at(-1) ?? 0,
      renders: fill(renders),
      anyRenders: fill(anyRenders),
      events,
      episodes: document.querySelectorAll('[data-testid^="episode-"]').length,
      statuses: Object.fromEntries(
        [...document.querySelectorAll('[data-testid^="stage-"][data-status]')].map((c) => [c.getAttribute('data-testid'), c.getAttribute('data-status')]),
      ),
    };
  }, 5_000);

  const eps = await callApp('ListEpisodes');
  const states = {};
  for (const e of eps.filter((e) => keys.includes(e.key))) {
    const st = e.latest_job?.stages ?? [];
    const s = st.find((x) => x.status === 'running')?.name ?? (st.every((x) => x.status === 'pending') ? 'queued' : st.some((x) => x.status === 'pending') ? 'waiting' : 'done');
    states[s] = (states[s] ?? 0) + 1;
  }
  log(`window ${m.seconds.toFixed(1)} s, ${m.episodes} episodes listed; the 10 new ones now: ${JSON.stringify(states)}`);
  log(`frame time (rAF deltas, ${m.frames} frames): p50 ${m.p50.toFixed(1)} ms, p95 ${m.p95.toFixed(1)} ms, max ${m.max.toFixed(1)} ms`);
  for (const [id, per] of Object.entries(m.renders)) log(`progress renders/s ${id}: [${per.join(', ')}] (max ${Math.max(...per)})`);
  for (const [id, per] of Object.entries(m.anyRenders)) log(`all DOM updates/s ${id}: [${per.join(', ')}]`);
  for (const [k, n] of Object.entries(m.events)) log(`castscope:stage running events ${k}: ${n} in ${m.seconds.toFixed(1)} s (${(n / m.seconds).toFixed(1)}/s)`);
  log('selected episode cards:', JSON.stringify(m.statuses));

  assert.ok(Object.keys(m.renders).length > 0, 'no progress render was seen during the window');
  for (const [id, per] of Object.entries(m.renders)) {
    assert.ok(Math.max(...per) <= 4, `${id}: ${Math.max(...per)} progress renders in one second (limit 4): ${per}`);
  }
  assert.ok(m.frames > 0, 'requestAnimationFrame never ran');
  // The window stays smooth while ten episodes process: measured p95 16.8 ms
  // (one frame at 60 Hz) under Xvfb on the 2-core CI machine; 50 ms is three
  // frames, room for a loaded machine, and still what a user feels as smooth.
  assert.ok(m.p95 <= 50, `frame time p95 ${m.p95.toFixed(1)} ms (limit 50 ms): the window stutters while episodes process`);

  // Leave the machine quiet: cancel what is still queued or running.
  for (const e of eps) {
    const j = e.latest_job;
    if (j && !j.finished_at && j.stages.some((s) => s.status === 'running' || s.status === 'pending')) {
      await callApp('CancelJob', j.job_id).catch(() => {});
    }
  }
});

test('Cast: thumbnails, rename through a re-cluster and Undo; Report: a drawn chart and a segment preview frame', async () => {
  const item = page.locator(`[data-testid="episode-${MAIN_KEY}"]`);
  await item.click();
  await page.locator(`[data-testid="episode-${MAIN_KEY}"][aria-current="true"]`).waitFor();
  // The first test's run goes on to cluster and screen time; run it again if the load test canceled it.
  const [ep] = (await callApp('ListEpisodes')).filter((e) => e.key === MAIN_KEY);
  const job = ep.latest_job;
  const active = job && !job.finished_at && job.stages.some((s) => s.status === 'running' || s.status === 'pending');
  if (!ep.states?.analyzed && !active) {
    log('episode not analyzed yet and no job running: running the rest of the pipeline');
    await callApp('RunEpisode', MAIN_KEY, ['track+']);
  }
  await page.locator('[data-testid="tab-report"][aria-disabled="false"]').waitFor({ timeout: 300_000 });

  await page.locator('[data-testid="tab-cast"]').click();
  await page.locator('[data-testid="cast-view"]').waitFor();
  await page.locator('[data-testid="cast-grid"]').waitFor({ timeout: 60_000 });
  const cards = page.locator('[data-testid="cast-grid"] > article');
  const count = await cards.count();
  assert.ok(count >= 1, 'no identity card');
  await page.waitForFunction(
    () => [...document.querySelectorAll('[data-testid="cast-grid"] [data-testid="person-thumb"]')].some((img) => img.complete && img.naturalWidth > 0),
    null,
    { timeout: 60_000 },
  );
  const names = await page.locator('[data-testid="person-name"]').allTextContents();
  log(`cast: ${count} people: ${names.join(', ')}`);

  const nameIs = (want, present) =>
    page.waitForFunction(
      ([n, p]) => {
        const pending = document.querySelector('[data-testid="cast-pending"]');
        const has = [...document.querySelectorAll('[data-testid="person-name"]')].some((el) => el.textContent.trim() === n);
        return !pending && has === p;
      },
      [want, present],
      { timeout: 240_000 },
    );

  const t0 = Date.now();
  const first = cards.first();
  await first.locator('[data-testid="rename"]').click();
  await first.locator('[data-testid="rename-input"]').fill('Alex Example');
  await first.locator('[data-testid="rename-input"]').press('Enter');
  await page.locator('[data-testid="cast-pending"]').waitFor({ timeout: 15_000 }).catch(() => log('re-cluster ended before its status showed'));
  await nameIs('Alex Example', true);
  log(`renamed to "Alex Example" after the re-cluster: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const undo = page.locator('[data-testid="undo"]');
  assert.equal(await undo.isDisabled(), false, 'Undo is enabled after a rename');
  log('undo:', (await undo.textContent()).trim());

  const t1 = Date.now();
  await undo.click();
  await nameIs('Alex Example', false);
  log(`undone after ${((Date.now() - t1) / 1000).toFixed(1)} s; names: ${(await page.locator('[data-testid="person-name"]').allTextContents()).join(', ')}`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'e2e-cast.png') }).catch((e) => log('screenshot failed:', e.message));

  await page.locator('[data-testid="tab-report"]').click();
  await page.locator('[data-testid="report-totals"]').waitFor({ timeout: 30_000 });
  for (const id of ['chart-bar']) {
    const drawn = await page.waitForFunction(
      (testid) => {
        const c = document.querySelector(`[data-testid="${testid}"]`);
        if (!c || c.width === 0 || c.height === 0 || c.clientWidth === 0) return false;
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) return { w: c.clientWidth, h: c.clientHeight };
        return false;
      },
      id,
      { timeout: 30_000 },
    );
    const size = await drawn.jsonValue();
    log(`${id}: drawn at ${size.w}×${size.h} px`);
  }

  // A click on the first person's first segment of the timeline (the viewer's component) previews that moment with its frame.
  const firstSeg = page.locator('[data-testid="report-view"] [data-testid="timeline-segment"]:not([data-person="0"])').first();
  const segStart = Number(await firstSeg.getAttribute('data-start'));
  await firstSeg.click({ force: true });
  const shownAt = await page.waitForFunction(
    () => document.querySelector('[data-testid="onscreen-frame"]') && document.querySelector('[data-testid="onscreen-at"]').value,
    null,
    { timeout: 30_000 },
  );
  const clicked = { at: await shownAt.jsonValue(), start: segStart };
  await page.waitForFunction(
    () => {
      const img = document.querySelector('[data-testid="onscreen-frame"]');
      return img && img.complete && img.naturalWidth > 0;
    },
    null,
    { timeout: 30_000 },
  );
  const who = (await page.locator('[data-testid="onscreen-people"]').innerText()).replace(/\s+/g, ' ').trim();
  log(`timeline segment at ${clicked.start} s → on screen at ${clicked.at}: ${who}`);
  assert.ok(who.length > 0, 'the preview lists who is on screen');
  const frame = await page.locator('[data-testid="onscreen-frame"]').evaluate((img) => `${img.naturalWidth}×${img.naturalHeight}`);
  log(`preview frame ${frame}`);
});

test('Viewer: the episode plays with names on the faces; a timeline segment seeks; a rename from a box reaches the overlay and the Cast view; overlay frame times', async () => {
  await page.locator(`[data-testid="episode-${MAIN_KEY}"]`).click();
  await page.locator('[data-testid="tab-viewer"][aria-disabled="false"]').waitFor({ timeout: 300_000 });
  await page.locator('[data-testid="tab-viewer"]').click();
  const video = page.locator('[data-testid="player"]');
  await video.waitFor();
  const ready = await page.waitForFunction(() => {
    const v = document.querySelector('[data-testid="player"]');
    return v && v.readyState >= 2 ? { rs: v.readyState, d: v.duration, w: v.videoWidth } : false;
  }, null, { timeout: 60_000 });
  const r = await ready.jsonValue();
  log(`player readyState ${r.rs}, duration ${r.d.toFixed(2)} s, ${r.w} px wide`);

  // A person's segment (not the unidentified lane): click it, the playhead goes there, that person's name is drawn.
  const seg = page.locator('[data-testid="timeline-segment"]:not([data-person="0"])').first();
  const start = Number(await seg.getAttribute('data-start'));
  const label = await seg.getAttribute('data-label');
  const tSeek = Date.now();
  await seg.click({ force: true });
  const at = await page.waitForFunction((s) => {
    const v = document.querySelector('[data-testid="player"]');
    return v && !v.seeking && v.readyState >= 2 && Math.abs(v.currentTime - s) <= 0.5 ? v.currentTime : false;
  }, start, { timeout: 10_000 });
  log(`segment of "${label}" at ${start} s → currentTime ${(await at.jsonValue()).toFixed(3)} s, frame shown after ${Date.now() - tSeek} ms`);
  await page.waitForFunction((want) => [...document.querySelectorAll('[data-testid="face-label"]')].some((l) => l.textContent.trim() === want), label, { timeout: 5_000 });

  // Overlay frame times while the video plays (requestAnimationFrame timestamps).
  await page.evaluate(() => document.querySelector('[data-testid="player"]').play());
  const frames = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const ts = [];
        const boxes = [];
        const step = (t) => {
          ts.push(t);
          boxes.push(document.querySelectorAll('[data-testid="face-box"]').length);
          if (ts.length < 240) requestAnimationFrame(step);
          else resolve({ ts, boxes });
        };
        requestAnimationFrame(step);
      }),
  );
  await page.evaluate(() => document.querySelector('[data-testid="player"]').pause());
  const gaps = frames.ts.slice(1).map((t, i) => t - frames.ts[i]).sort((a, b) => a - b);
  const p50 = gaps[Math.floor(gaps.length / 2)];
  const p95 = gaps[Math.floor(gaps.length * 0.95)];
  log(`overlay while playing: ${gaps.length} frames, median ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, boxes drawn in ${frames.boxes.filter((n) => n > 0).length} of them`);
  assert.ok(p50 <= 18, `median frame time ${p50.toFixed(1)} ms: the overlay does not keep 60 fps`);
  assert.ok(p95 <= 50, `p95 frame time ${p95.toFixed(1)} ms`);

  // Back to the segment, pick that person's box, rename them there.
  await seg.click({ force: true });
  await page.waitForFunction((want) => [...document.querySelectorAll('[data-testid="face-label"]')].some((l) => l.textContent.trim() === want), label, { timeout: 5_000 });
  const box = page.locator('[data-testid="face-box"]', { has: page.locator(`[data-testid="face-label"]:text-is("${label}")`) }).first();
  await box.click({ force: true });
  await page.locator('[data-testid="face-editor"]').waitFor();
  const t0 = Date.now();
  await page.locator('[data-testid="face-rename"]').fill('Viewer Named');
  await page.locator('[data-testid="face-rename"]').press('Enter');
  await seg.click({ force: true }).catch(() => {});
  await page.waitForFunction(
    () => {
      const seg = document.querySelector('[data-testid="timeline-segment"][data-label="Viewer Named"]');
      if (!seg) return false;
      seg.click();
      return [...document.querySelectorAll('[data-testid="face-label"]')].some((l) => l.textContent.trim() === 'Viewer Named');
    },
    null,
    { timeout: 240_000, polling: 500 },
  );
  log(`renamed from the viewer: "${label}" → "Viewer Named" drawn on the face after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'e2e-viewer.png') }).catch((e) => log('screenshot failed:', e.message));
  await page.locator('[data-testid="tab-cast"]').click();
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="person-name"]')].some((el) => el.textContent.trim() === 'Viewer Named'), null, { timeout: 30_000 });
  log('the Cast view shows "Viewer Named"');
});

test('Viewer: seeking an hour-long file shows the frame (times logged)', async () => {
  await callApp('AddVideos', [HOUR]);
  // Only its video is needed: stop the pipeline it started.
  const [ep] = (await callApp('ListEpisodes')).filter((e) => e.key === HOUR_KEY);
  assert.ok(ep, 'the hour-long file was not registered');
  if (ep.latest_job && !ep.latest_job.finished_at) await callApp('CancelJob', ep.latest_job.job_id).catch(() => {});
  const url = await callApp('MediaURL', HOUR_KEY);
  const times = await page.evaluate(async (src) => {
    const v = document.createElement('video');
    v.muted = true;
    v.preload = 'auto';
    document.body.appendChild(v);
    const once = (ev) => new Promise((ok, bad) => {
      v.addEventListener(ev, () => ok(), { once: true });
      v.addEventListener('error', () => bad(new Error(`media error ${v.error?.code}`)), { once: true });
    });
    v.src = src;
    await once('loadeddata');
    const out = { duration: v.duration, seeks: [] };
    for (const frac of [0.5, 0.13, 0.91, 0.37, 0.72, 0.05]) {
      const t0 = performance.now();
      v.currentTime = v.duration * frac;
      await once('seeked');
      if (v.readyState < 2) await once('canplay');
      out.seeks.push(Math.round(performance.now() - t0));
    }
    v.remove();
    return out;
  }, url);
  const sorted = [...times.seeks].sort((a, b) => a - b);
  log(`seeks in a ${(times.duration / 60).toFixed(0)} min file: ${times.seeks.join(', ')} ms (median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted[sorted.length - 1]} ms)`);
  assert.equal(Math.round(times.duration), 3600);
});
