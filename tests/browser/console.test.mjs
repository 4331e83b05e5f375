// The web console (GET /) in a real browser: Debian's chromium, headless,
// driven by playwright-core (which uses the installed browser and downloads
// none). tests/browser/run.sh starts the real server and the Creator
// Discovery simulator with the demo signups (scripts/dev.sh) and runs this
// with BASE (the server's URL) and SHOTS (where screenshots go).
//
// Each step is one thing a person does; the suite fails on the first step
// that does not behave, on any JavaScript error, on any Content-Security-
// Policy violation and on any request that leaves the server's origin.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';

const BASE = process.env.BASE;
const SHOTS = process.env.SHOTS || 'browser-screenshots';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
assert.ok(BASE, 'BASE (the server URL) is required');
mkdirSync(SHOTS, { recursive: true });

const TOKENS = {
  sdr: 'dev-sdr-token-0001',
  auditor: 'dev-auditor-token-0001',
  admin: 'dev-admin-token-0001',
};

// Flags as this machine needs them: without the background-networking ones
// chromium tries Google's hosts, which a closed network refuses.
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});

const problems = [];
let step = '';
const origin = new URL(BASE).origin;

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  // CSP violations are reported as events to the page; collect them where the test can read them.
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation',
      (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
  });
  page.on('pageerror', (e) => problems.push(`[${step}] JavaScript error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 40[134]|status of 503/.test(m.text()))
      problems.push(`[${step}] console error: ${m.text()}`);
  });
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol !== 'data:' && u.origin !== origin) problems.push(`[${step}] request outside the origin: ${r.url()}`);
  });
  return page;
}

async function cspViolations(page) {
  return page.evaluate(() => window.__csp);
}

async function shot(page, name) {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

async function signIn(page, token) {
  await page.fill('#token-input', token);
  await page.press('#token-input', 'Enter');
  await page.waitForFunction(() => !/no token/i.test(document.querySelector('#token-state').textContent));
}

const started = Date.now();
const results = [];
async function run(name, fn) {
  step = name;
  const t0 = Date.now();
  await fn();
  results.push(`ok   ${name} (${Date.now() - t0} ms)`);
  console.log(results[results.length - 1]);
}

try {
  const page = await newPage();

  await run('the console loads with a strict CSP and asks for a token', async () => {
    const res = await page.goto(BASE + '/');
    assert.equal(res.status(), 200);
    const csp = res.headers()['content-security-policy'] || '';
    assert.match(csp, /default-src 'none'|default-src 'self'/, 'a Content-Security-Policy header');
    assert.doesNotMatch(csp, /unsafe-eval/);
    await page.waitForSelector('#token-input');
    await shot(page, '01-start');
  });

  await run('an SDR pastes a token and sees the queue of demo leads', async () => {
    await signIn(page, TOKENS.sdr);
    await page.evaluate(() => { location.hash = '/queue'; });
    await page.waitForSelector('#queue-rows tr td a', { timeout: 15000 });
    const rows = await page.$$eval('#queue-rows tr', (trs) => trs.length);
    assert.ok(rows >= 3, `at least 3 demo leads in the queue, saw ${rows}`);
    await shot(page, '02-queue');
  });

  await run('the SDR filters the queue by team and sort, and the URL keeps the filters', async () => {
    await page.selectOption('#filters select[name=team]', 'sdr');
    await page.selectOption('#filters select[name=sort]', '-signed_up_at');
    await page.click('#filters button[type=submit]');
    await page.waitForFunction(() => location.hash.includes('team=sdr') && location.hash.includes('sort='));
    await page.waitForSelector('#queue-rows tr td');
    const teams = await page.$$eval('#queue-rows tr', (trs) => trs.map((tr) => tr.textContent));
    assert.ok(teams.length >= 1);
    for (const t of teams) assert.doesNotMatch(t, /\bLDR\b/, 'an LDR lead in an SDR-filtered queue');
    await shot(page, '03-queue-filtered');
  });

  await run('the SDR opens a lead from the queue and sees its page', async () => {
    await page.click('#queue-rows tr td a');
    await page.waitForFunction(() => location.hash.startsWith('#/lead/'));
    await page.waitForSelector('#lead-body h2, #lead-body h1', { timeout: 15000 });
    const text = await page.textContent('#lead-body');
    assert.match(text, /score|priority/i);
    await shot(page, '04-lead-sdr');
  });

  await run('an auditor sees the hash chain verified and walks the replay', async () => {
    await signIn(page, TOKENS.auditor);
    await page.evaluate(() => { location.hash = '/lead/demo-ana'; });
    await page.waitForFunction(() => /hash chain/.test(document.querySelector('#lead-body').textContent), null,
      { timeout: 15000 });
    const body = await page.textContent('#lead-body');
    assert.match(body, /verified/);
    assert.doesNotMatch(body, /prev_hash does not match/);
    const slider = await page.waitForSelector('input[type=range][aria-label="replay step"]');
    const max = Number(await slider.getAttribute('max'));
    assert.ok(max >= 2, `the replay has at least 2 steps, saw ${max}`);
    const before = await page.textContent('.replay-step');
    await slider.evaluate((s) => { s.value = '1'; s.dispatchEvent(new Event('input')); });
    const after = await page.textContent('.replay-step');
    assert.notEqual(after, before, 'moving the replay slider shows another step');
    assert.match(after, /signed up/);
    await shot(page, '05-lead-auditor-replay');
  });

  await run('an admin opens the metrics and the live feed', async () => {
    await signIn(page, TOKENS.admin);
    await page.click('#tab-metrics');
    await page.waitForFunction(() => location.hash.startsWith('#/metrics'));
    await page.waitForFunction(() => document.querySelector('#metrics-grid').children.length > 0, null,
      { timeout: 15000 });
    await shot(page, '06-metrics');
  });

  await run('no Content-Security-Policy violation anywhere', async () => {
    assert.deepEqual(await cspViolations(page), []);
  });
} catch (e) {
  problems.push(`[${step}] ${e.stack || e}`);
} finally {
  await browser.close();
}

console.log(`browser suite: ${results.length} steps passed in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
  `screenshots in ${SHOTS}`);
if (problems.length) {
  console.error('FAILED:\n' + problems.join('\n'));
  process.exit(1);
}
