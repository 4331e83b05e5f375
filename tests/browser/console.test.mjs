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
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const BASE = process.env.BASE;
const SHOTS = process.env.SHOTS || 'browser-screenshots';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
assert.ok(BASE, 'BASE (the server URL) is required');
mkdirSync(SHOTS, { recursive: true });
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// CONSOLE_HTML=web/console.html (development only; run.sh never sets it):
// serve this file at / instead of the page compiled into the server, with the
// same hash-based CSP the server computes, to try a page without rebuilding.
const CONSOLE_HTML = process.env.CONSOLE_HTML || '';

const TOKENS = {
  sdr: 'dev-sdr-token-0001',
  ana: 'dev-ana-token-0001',
  bia: 'dev-bia-token-0001',
  platform: 'dev-platform-token-0001',
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

const pages = [];
async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  pages.push(page);
  if (CONSOLE_HTML) {
    const html = readFileSync(CONSOLE_HTML, 'utf8');
    const hashes = (open, close) => {
      const out = [];
      for (let at = html.indexOf(open); at >= 0; at = html.indexOf(open, at)) {
        const end = html.indexOf(close, at + open.length);
        out.push("'sha256-" + createHash('sha256').update(html.slice(at + open.length, end)).digest('base64') + "'");
        at = end + close.length;
      }
      return out.join(' ');
    };
    const csp = `default-src 'self'; script-src ${hashes('<script>', '</script>')}; style-src ${hashes('<style>', '</style>')}; ` +
      "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    await page.route(BASE + '/', (route) => route.fulfill({ status: 200, body: html,
      headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp } }));
  }
  // CSP violations are reported as events to the page; collect them where the test can read them.
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation',
      (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
  });
  page.on('pageerror', (e) => problems.push(`[${step}] JavaScript error: ${e.message}`));
  page.on('console', (m) => {
    // 401/403/404/503 are answers the console shows; 409 is a refused claim (the test makes one on purpose)
    if (m.type() === 'error' && !/status of 40[1349]|status of 503/.test(m.text()))
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

// Pastes a token; the indicator then names the person (GET /v1/whoami).
async function signIn(page, token, name) {
  await page.fill('#token-input', token);
  await page.press('#token-input', 'Enter');
  await page.waitForFunction((n) => document.querySelector('#token-state').textContent.startsWith(n + ' \u00b7'), name);
}

async function api(path, token, method, body) {
  const res = await fetch(BASE + path, { method: method || 'GET',
    headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' }, body: body && JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function openQueue(page, hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForFunction(() => /\d+ leads?|No leads/.test(document.querySelector('#queue-count').textContent) ||
    document.querySelector('#queue-rows .empty'), null, { timeout: 15000 });
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
    assert.doesNotMatch(csp, /unsafe-eval|unsafe-inline/);
    await page.waitForSelector('#token-input');
    assert.equal((await page.textContent('#token-state')).trim(), 'no token');
    await shot(page, '01-start');
  });

  await run('an SDR pastes a token, is named with the scopes, and sees the queue of demo leads', async () => {
    await signIn(page, TOKENS.sdr, 'sdr-team');
    assert.match(await page.textContent('#token-state'), /sdr-team · read/);
    await openQueue(page, '/queue');
    await page.waitForSelector('#queue-rows tr td a', { timeout: 15000 });
    const rows = await page.$$eval('#queue-rows tr', (trs) => trs.length);
    assert.ok(rows >= 3, `at least 3 demo leads in the queue, saw ${rows}`);
    const heads = await page.$$eval('table.queue thead th', (ths) => ths.map((th) => th.textContent));
    for (const col of ['Handle', 'Engagement', 'Stage', 'Owner']) assert.ok(heads.some((x) => x.startsWith(col)), `a ${col} column`);
    const handles = await page.$$eval('#queue-rows td.handle', (tds) => tds.map((td) => td.textContent));
    assert.ok(handles.includes('@anasouza'), `the handle column shows @anasouza: ${handles}`);
    // a read-only token gets no claim buttons
    assert.equal(await page.$$eval('#queue-rows button.claim', (b) => b.length), 0);
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

  await run('the SDR sorts by a column header and narrows by date, followers, owner and stage', async () => {
    const times = () => page.$$eval('#queue-rows td.signed span', (ss) => ss.map((s) => s.title));
    await page.click('th[data-sort=signed_up_at]');   // from newest-first: oldest first
    await page.waitForFunction(() => /sort=signed_up_at/.test(location.hash));
    await page.waitForFunction(() => /\d+ leads?/.test(document.querySelector('#queue-count').textContent));
    const asc = await times();
    assert.deepEqual(asc, [...asc].sort(), 'oldest signup first after the header click');
    assert.match(await page.textContent('th[data-sort=signed_up_at]'), /▲/);
    await page.click('th[data-sort=score]');
    await page.waitForFunction(() => !/sort=/.test(location.hash) && /\d+ leads?/.test(document.querySelector('#queue-count').textContent));
    const scores = await page.$$eval('#queue-rows td.score', (tds) => tds.map((td) => Number(td.textContent)));
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a), 'highest score first');
    await page.fill('#filters input[name=signed_up_after]', '2026-11-28');
    await page.fill('#filters input[name=max_followers]', '100000000');
    await page.fill('#filters input[name=owner]', 'none');
    await page.selectOption('#filters select[name=stage]', 'unassigned');
    await page.click('#filters button[type=submit]');
    await page.waitForFunction(() => ['signed_up_after=2026-11-28', 'max_followers=100000000', 'owner=none', 'stage=unassigned', 'team=sdr']
      .every((x) => decodeURIComponent(location.hash).includes(x)));
    await page.waitForFunction(() => /\d+ leads?/.test(document.querySelector('#queue-count').textContent));
    assert.ok(await page.$$eval('#queue-rows td.name', (x) => x.length) >= 1, 'leads signed up after 2026-11-28');
    await page.fill('#filters input[name=signed_up_before]', '2026-11-01');
    await page.click('#filters button[type=submit]');
    await page.waitForSelector('#queue-rows td.empty');
    await page.fill('#filters input[name=signed_up_before]', '');
    await page.click('#filters button[type=submit]');
    await page.waitForSelector('#queue-rows td.name');
    await shot(page, '03b-queue-sorted-narrowed');
  });

  await run('the SDR opens a lead, sees why it ranks, its contact links, and goes back with the filters kept', async () => {
    const hash = await page.evaluate(() => location.hash);
    await page.click('#queue-rows tr td a');
    await page.waitForFunction(() => location.hash.startsWith('#/lead/'));
    await page.waitForSelector('#lead-body h2', { timeout: 15000 });
    assert.match(await page.textContent('#lead-body'), /score|priority/i);
    await page.evaluate(() => { location.hash = '/lead/demo-ana'; });
    await page.waitForSelector('#why-lead');
    const why = await page.textContent('#why-lead');
    for (const part of ['reach', 'engagement', 'activity', 'completeness']) assert.match(why, new RegExp(part));
    assert.equal(await page.getAttribute('#lead-body a.tel', 'href'), 'tel:+5511912345678');
    assert.equal(await page.getAttribute('#lead-body a.mailto', 'href'), 'mailto:ana@exemplo.com.br');
    const links = await page.$$eval('#lead-body a.profile-link', (as) => as.map((a) => a.dataset.network + ' ' + a.textContent));
    assert.ok(links.includes('instagram @anasouza'), `an Instagram profile link: ${links}`);
    assert.ok(links.includes('tiktok @anasouza'), `the TikTok handle on the lead page: ${links}`);
    await shot(page, '04-lead-sdr');
    await page.evaluate(() => { location.hash = '/lead/demo-bruno'; });
    await page.waitForSelector('.network[data-network=youtube]');
    const yt = await page.textContent('.network[data-network=youtube]');
    assert.match(yt, /subscribers/);
    assert.match(yt, /videos/);
    assert.doesNotMatch(yt, /content mix|likes hidden|follows/i, 'YouTube without Instagram\'s fields');
    await shot(page, '04b-lead-youtube');
    await page.click('#back-link');
    await page.waitForFunction((h) => location.hash === h, hash);
    assert.match(await page.evaluate(() => location.hash), /owner=none/);
  });

  // Two SDRs at once: ana claims the next lead; bia, whose page still offers it, is refused and told who has it.
  const ana = await newPage(), bia = await newPage();
  let claimedId = '';
  await run('SDR ana claims the next lead while SDR bia\'s page shows it taken', async () => {
    for (const [p, tok, name] of [[ana, TOKENS.ana, 'ana'], [bia, TOKENS.bia, 'bia']]) {
      await p.goto(BASE + '/#/queue?team=sdr');
      await signIn(p, tok, name);
      await p.waitForSelector('#queue-rows button.claim', { timeout: 15000 });
      assert.match(await p.textContent('#token-state'), new RegExp(name + ' · read, work'));
    }
    // an A lead is never an LDR lead (only leads without enrichment data go to LDR, and they score C): 204
    await ana.selectOption('#claimnext select[name=team]', 'ldr');
    await ana.selectOption('#claimnext select[name=level]', 'A');
    await ana.click('#claim-next');
    await ana.waitForFunction(() => /Nothing left to claim/.test(document.querySelector('#claim-result').textContent));
    await ana.selectOption('#claimnext select[name=level]', '');
    await ana.selectOption('#claimnext select[name=team]', 'sdr');
    await ana.click('#claim-next');
    await ana.waitForFunction(() => location.hash.startsWith('#/lead/'));
    claimedId = decodeURIComponent((await ana.evaluate(() => location.hash)).replace('#/lead/', ''));
    await ana.waitForSelector('#work-owner');
    assert.equal(await ana.textContent('#work-owner'), 'ana (you)');
    assert.match(await ana.textContent('#lead-message'), /You claimed/);
    await shot(ana, '07-ana-claimed');

    const btn = `#queue-rows button.claim[data-lead="${claimedId}"]`;
    await bia.waitForSelector(btn);
    await bia.click(btn);
    const row = `#queue-rows tr[data-lead="${claimedId}"]`;
    await bia.waitForFunction((r) => /taken by ana/.test(document.querySelector(r).textContent), row);
    assert.equal((await bia.textContent(row + ' td.owner')).trim(), 'ana');
    await shot(bia, '08-bia-refused');
    await bia.click(row + ' td.name a');
    await bia.waitForSelector('#work-owner');
    assert.equal(await bia.textContent('#work-owner'), 'ana');
    assert.match(await bia.textContent('#lead-body'), /Taken by ana/);
    assert.equal(await bia.$('#contact-form'), null, 'no contact form on someone else\'s lead');
    assert.equal(await bia.$('#lead-claim'), null, 'no claim button on a taken lead');
  });

  await run('ana logs a contact and sees the stage change, then finds the lead under my leads', async () => {
    assert.match(await ana.textContent('#work-stage'), /assigned/);
    await ana.selectOption('#contact-form select[name=channel]', 'whatsapp');
    await ana.selectOption('#contact-form select[name=outcome]', 'connected');
    // The note's limit counts characters as the API does: 2000 emoji (4000 UTF-16 units) fit, 2001 do not.
    await ana.fill('#contact-form textarea[name=note]', '\u{1F4DE}'.repeat(2000));
    assert.match(await ana.textContent('#note-count'), /^2000 \/ 2000$/);
    assert.equal(await ana.$eval('#contact-form button[type=submit]', (b) => b.disabled), false);
    await ana.fill('#contact-form textarea[name=note]', '\u{1F4DE}'.repeat(2001));
    assert.match(await ana.textContent('#note-count'), /too long/);
    assert.equal(await ana.$eval('#contact-form button[type=submit]', (b) => b.disabled), true);
    // A textarea invites line breaks; the API takes a note on one line (no control characters).
    await ana.fill('#contact-form textarea[name=note]', 'talked,\ncall back\tMonday\r\n');
    assert.equal(await ana.$eval('#contact-form button[type=submit]', (b) => b.disabled), false);
    await ana.click('#contact-form button[type=submit]');
    await ana.waitForFunction(() => /contacted/.test(document.querySelector('#work-stage').textContent) ||
      /\browmsg bad\b/.test((document.querySelector('#lead-body .rowmsg.bad') || {}).className || ''), null, { timeout: 15000 });
    assert.equal(await ana.$('#lead-body .rowmsg.bad'), null, 'no error logging a multi-line note');
    assert.match(await ana.textContent('#work-stage'), /contacted/);
    const logged = (await api('/v1/leads/' + encodeURIComponent(claimedId) + '/history', TOKENS.auditor)).body;
    assert.ok(logged.events.some((e) => e.type === 'contact_logged' && e.data.note === 'talked, call back Monday'),
      'the note on one line, its breaks as spaces');
    assert.match(await ana.textContent('#lead-body'), /whatsapp · connected · by ana/);
    await shot(ana, '09-ana-contact');
    await ana.click('#tab-queue');
    await ana.click('#my-leads');
    await ana.waitForFunction(() => location.hash.includes('owner=me'));
    await ana.waitForSelector(`#queue-rows tr[data-lead="${claimedId}"]`, { timeout: 15000 });
    assert.match(await ana.textContent(`#queue-rows tr[data-lead="${claimedId}"] td.stage`), /contacted/);
    await shot(ana, '10-my-leads');
  });

  await run('ana claims a lead from a row and releases it on the lead page', async () => {
    await openQueue(ana, '/queue?team=sdr');
    const id = await ana.getAttribute('#queue-rows button.claim', 'data-lead');
    await ana.click(`#queue-rows button.claim[data-lead="${id}"]`);
    await ana.waitForFunction((i) => /claimed/.test(document.querySelector(`#queue-rows tr[data-lead="${i}"]`).textContent), id);
    await ana.evaluate((i) => { location.hash = '/lead/' + encodeURIComponent(i); }, id);
    await ana.waitForSelector('#lead-release');
    await ana.click('#lead-release');
    await ana.waitForFunction(() => /unassigned/.test(document.querySelector('#work-stage').textContent));
    assert.ok(await ana.$('#lead-claim'), 'claimable again after the release');
  });

  await run('an auditor uses the as-of control, the replay slider and the full hashes', async () => {
    await signIn(page, TOKENS.auditor, 'auditor');
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

    const hist = (await api('/v1/leads/demo-ana/history', TOKENS.auditor)).body;
    const hashes = await page.$$eval('code.hash', (cs) => cs.map((c) => c.textContent));
    assert.ok(hashes.includes(hist.events[0].hash) && hist.events[0].hash.length === 64, 'the full hash is on the page');
    assert.ok(await page.$$eval('button.copy', (b) => b.length) >= 2, 'copy buttons');

    // as of the first event: version 1; before it: not there yet
    await page.fill('#asof-input', hist.events[0].recorded_at);
    await page.click('#asof-go');
    await page.waitForSelector('#asof-version');
    const upTo = hist.events.filter((e) => e.recorded_at <= hist.events[0].recorded_at).length;  // events may share a millisecond
    assert.equal(await page.textContent('#asof-version'), String(upTo));
    assert.ok(upTo < hist.events.length, 'as of the first event, not the latest state');
    await page.fill('#asof-input', '2020-01-01T00:00:00.000Z');
    await page.press('#asof-input', 'Enter');
    await page.waitForFunction(() => /did not exist yet/.test(document.querySelector('#asof-out').textContent));
    await page.click('ol.timeline > li:last-child button.asof-here');
    await page.waitForFunction((v) => (document.querySelector('#asof-version') || {}).textContent === String(v), hist.events.length);
    await shot(page, '05-lead-auditor-replay');
  });

  await run('the auditor exports the history and tools/verify-history.py checks it (and refuses a tampered copy)', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-history')]);
    assert.equal(download.suggestedFilename(), 'demo-ana.history.json');
    const file = join(SHOTS, 'demo-ana.history.json');
    await download.saveAs(file);
    const ok = spawnSync('python3', [join(ROOT, 'tools/verify-history.py'), file], { encoding: 'utf8' });
    assert.equal(ok.status, 0, 'verify-history.py on the export: ' + ok.stdout + ok.stderr);
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    const raw = Buffer.from(doc.events[0].stored, 'base64');
    raw[raw.length - 1] ^= 1;
    doc.events[0].stored = raw.toString('base64');
    const bad = join(SHOTS, 'demo-ana.tampered.history.json');
    writeFileSync(bad, JSON.stringify(doc));
    const no = spawnSync('python3', [join(ROOT, 'tools/verify-history.py'), bad], { encoding: 'utf8' });
    assert.notEqual(no.status, 0, 'a tampered export must not verify');
    assert.match(no.stdout + no.stderr, /BROKEN/);
  });

  const feedRequests = [];
  page.on('request', (r) => { if (/\/v1\/feed/.test(r.url())) feedRequests.push({ url: r.url(), headers: r.headers() }); });
  await run('an admin opens the metrics: trend charts, alerts, breakers and the live feed', async () => {
    await signIn(page, TOKENS.admin, 'admin');
    // still on demo-ana's page: with admin, the whole log's verification comes from the backups
    await page.waitForFunction(() => /whole log: no verified backup yet|whole log verified/.test(
      (document.querySelector('#log-verified') || {}).textContent || ''), null, { timeout: 15000 });
    await page.click('#tab-metrics');
    await page.waitForFunction(() => location.hash.startsWith('#/metrics'));
    await page.waitForFunction(() => document.querySelector('#metrics-grid').children.length > 0, null,
      { timeout: 15000 });
    await page.waitForFunction(() => document.querySelectorAll('#trend-charts svg.trend').length >= 4, null, { timeout: 15000 });
    await page.waitForSelector('#breakers [data-provider=instagram]');
    assert.match(await page.textContent('#breakers'), /instagram closed/);
    assert.match(await page.textContent('#alerts-panel'), /alert/i);
    // the work figures of GET /v1/stats are drawn exactly when the server has them
    const stats = (await api('/v1/stats?window=1h', TOKENS.admin)).body;
    assert.equal(!!(await page.$('#work-stats')), !!(stats && stats.work), 'the work panel follows the stats\' work block');
    await page.waitForSelector('#feed-panel[data-live=yes]', { timeout: 15000 });
    await page.waitForFunction(() => document.querySelectorAll('#feed-list li:not(.note)').length > 0, null, { timeout: 15000 });
    await shot(page, '06-metrics');
  });

  await run('the breaker opens when the provider fails: the alerts panel says so and the gauge is not green', async () => {
    for (let i = 0; i < 16; i++) {
      const n = String(i).padStart(2, '0');
      const r = await api('/v1/signups', TOKENS.platform, 'POST', { event_id: 'brk-sg-' + n, lead_id: 'brk-' + n,
        occurred_at: '2026-11-29T10:00:00.000Z', email: `brk${n}@fitnessnow.com.br`, name: 'Breaker ' + n,
        phone: '+55119000000' + n, country: 'BR', social: { instagram: 'err_provider' } });
      assert.ok(r.status === 202 || r.status === 200, 'signup ' + r.status);
    }
    // the live feed shows the new signups without a reload
    await page.waitForFunction(() => /brk-\d\d/.test(document.querySelector('#feed-list').textContent), null, { timeout: 15000 });
    await page.waitForSelector('#breakers [data-provider=instagram] .badge.bad', { timeout: 30000 });
    await page.waitForSelector('[data-alert=LeadbaseProviderCircuitOpen]', { timeout: 20000 });
    assert.match(await page.textContent('[data-alert=LeadbaseProviderCircuitOpen]'), /provider=instagram/);
    assert.notEqual(await page.getAttribute('svg.gauge', 'data-tone'), 'arc-ok', 'no green gauge while a breaker is open');
    assert.match(await page.textContent('#success-why'), /instagram breaker open/);
    await shot(page, '11-breaker-open');
  });

  await run('the live feed is one Server-Sent Events stream, resumed with Last-Event-ID, never polled', async () => {
    assert.ok(feedRequests.every((r) => r.url.includes('/v1/feed/stream')), 'no polling of GET /v1/feed: ' +
      feedRequests.map((r) => r.url).join(' '));
    assert.equal(feedRequests.length, 1, 'one stream while the metrics are open');
    assert.equal(feedRequests[0].headers.authorization, 'Bearer ' + TOKENS.admin, 'the stream sends the bearer header');
    const last = Number((await page.textContent('#feed-list li:first-child span')).replace('#', ''));
    await page.click('#tab-queue');
    await page.click('#tab-metrics');
    await page.waitForFunction(() => document.querySelector('#feed-panel').dataset.live === 'yes');
    for (let i = 0; i < 100 && feedRequests.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(feedRequests.length, 2, 'one new stream after coming back');
    const again = feedRequests[1];
    assert.ok(again.url.includes('/v1/feed/stream'));
    // the retries of the failing leads keep adding events: at least the last one shown before leaving
    assert.ok(Number(again.headers['last-event-id']) >= last, `resumed after #${last}: ${again.headers['last-event-id']}`);
  });

  await run('no Content-Security-Policy violation anywhere', async () => {
    for (const p of pages) assert.deepEqual(await cspViolations(p), []);
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
