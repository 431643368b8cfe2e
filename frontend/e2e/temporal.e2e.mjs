// The window sending an episode to Temporal, in real Chromium against the real backend: Settings →
// Run on: Temporal at HOST:PORT (Test connection, Save), a dropped video runs on the Temporal worker
// scripts/e2e.sh started (its shared folder is the app's data folder), and the window shows it as it
// shows a local run — the server's badge, the worker on the running stage, detect's progress, every
// stage ending ok, the inspector's registry. Needs E2E_TEMPORAL (the dev server's address); without it
// the test skips (scripts/e2e.sh fails first under CASTSCOPE_REQUIRE_TEMPORAL=1).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const TEMPORAL = process.env.E2E_TEMPORAL || '';
const URL = process.env.E2E_URL;
const MEDIA = process.env.E2E_MEDIA;
const TMP = process.env.E2E_TMP;
const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';
const CLIP = path.join(MEDIA ?? '', 'Remote_S04_E01.mp4');
const KEY = 'remote_s04_e01';

function log(...a) {
  console.log('  e2e:', ...a);
}

let context;
let page;

before(async () => {
  if (!TEMPORAL) return;
  context = await chromium.launchPersistentContext(path.join(TMP, 'chromium-profile-temporal'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    viewport: { width: 1280, height: 800 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  await page.goto(URL);
  await page.waitForFunction(() => typeof window.go?.main?.App?.AddVideos === 'function' && !!window.runtime);
  await page.locator('[data-testid="drop-zone"]').waitFor();
});

after(async () => {
  if (page) {
    // Leave the data folder running locally, as the other tests expect.
    await page.evaluate(async () => {
      const s = await window.go.main.App.GetSettings();
      await window.go.main.App.SaveSettings({ ...s, run_on: 'local' });
    });
  }
  await context?.close();
});

test('Run on Temporal: Settings choice, a dropped video runs on the worker with live progress, the server and worker shown', { skip: !TEMPORAL && 'no Temporal dev server (make temporal)' }, async () => {
  await page.locator('[data-testid="toggle-settings"]').click();
  const settings = page.locator('[data-testid="settings"]');
  await settings.waitFor();
  await settings.locator('input[name="run_on"][value="temporal"]').check();
  await settings.locator('input[placeholder="temporal.example.lan:7233"]').fill(TEMPORAL);
  await settings.getByRole('button', { name: 'Test connection' }).click();
  await page.locator('[data-testid="temporal-check"]', { hasText: 'Connected' }).waitFor({ timeout: 20_000 });
  await settings.getByRole('button', { name: 'Save' }).click();
  await page.waitForFunction(
    async (addr) => {
      const s = await window.go.main.App.GetSettings();
      return s.run_on === 'temporal' && s.temporal_address === addr;
    },
    TEMPORAL,
    { timeout: 10_000 },
  );
  log('settings saved: run on Temporal at', TEMPORAL);

  const t0 = Date.now();
  await page.evaluate((p) => {
    const r = document.querySelector('[data-testid="drop-zone"]').getBoundingClientRect();
    window.runtime.EventsEmit('wails:file-drop', Math.round(r.left + r.width / 2), Math.round(r.top + r.height / 2), p);
  }, [CLIP]);
  const item = page.locator(`[data-testid="episode-${KEY}"]`);
  await item.waitFor({ timeout: 30_000 });
  await item.click();
  // Stay on the stage cards: an analysed episode opens on the Viewer tab.
  await page.locator('[data-testid="tab-pipeline"]').click();

  const badge = page.locator('[data-testid="job-driver"]');
  await badge.waitFor({ timeout: 30_000 });
  assert.match(await badge.textContent(), new RegExp(`Temporal ${TEMPORAL.replace(/[.]/g, '\\.')}`));

  // Detect on the worker: running with progress between 0 and 100 %, the worker named on its card.
  const detect = page.locator('[data-testid="stage-detect"]');
  await page.locator('[data-testid="stage-detect"][data-status="running"]').waitFor({ timeout: 120_000 });
  log(`remote detect running after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await detect.locator('[data-testid="worker"]', { hasText: 'e2e-worker' }).waitFor({ timeout: 15_000 });
  const between = await page.waitForFunction(
    () => {
      const bar = document.querySelector('[data-testid="stage-detect"] [data-testid="progress"]');
      const now = Number(bar?.getAttribute('aria-valuenow'));
      const max = Number(bar?.getAttribute('aria-valuemax'));
      const card = document.querySelector('[data-testid="stage-detect"]');
      return card?.getAttribute('data-status') === 'running' && max > 0 && now > 0 && now < max
        ? `${now}/${max} ${card.querySelector('[data-testid="progress-text"]')?.textContent?.replace(/\s+/g, ' ').trim()}`
        : false;
    },
    null,
    { timeout: 60_000, polling: 20 },
  );
  log('remote detect progress:', await between.jsonValue());

  try {
    await page.locator('[data-testid="stage-analytics"][data-status="ok"]').waitFor({ timeout: 180_000 });
  } catch (e) {
    // What the window shows, what the registry holds, what the worker did.
    const shown = await page.evaluate(() =>
      [...document.querySelectorAll('[data-testid^="stage-"][data-status]')].map((c) => `${c.dataset.testid}=${c.getAttribute('data-status')}`).join(' '),
    );
    const ep = (await page.evaluate(() => window.go.main.App.ListEpisodes())).find((x) => x.key === KEY);
    const stored = (ep?.latest_job?.stages ?? []).map((st) => `${st.name}=${st.status}`).join(' ');
    const worker = fs.existsSync(path.join(TMP, 'worker.log')) ? fs.readFileSync(path.join(TMP, 'worker.log'), 'utf8').split('\n').slice(-25).join('\n') : '(no worker log)';
    assert.fail(`the remote run did not show analytics ok: ${e.message}\nwindow: ${shown}\nregistry: ${ep?.latest_job?.job_id} ${stored}\nworker log:\n${worker}`);
  }
  log(`remote run ok after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  // The mirror sends the last stages' ends in one burst: every card settles on ok.
  for (const s of ['validate', 'extract', 'detect', 'track', 'cluster', 'analytics']) {
    await page.locator(`[data-testid="stage-${s}"][data-status="ok"]`).waitFor({ timeout: 10_000 });
  }
  const ep = (await page.evaluate(() => window.go.main.App.ListEpisodes())).find((e) => e.key === 'remote_s04_e01');
  assert.ok(ep, 'the episode is listed');
  assert.match(ep.latest_job?.driver ?? '', /^temporal /, 'its job names the Temporal driver');
});
