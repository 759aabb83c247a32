// SPDX-License-Identifier: BSD-2-Clause
// The dashboard in a real browser: Debian's Chromium, headless, driven by
// playwright-core (web/node_modules).  Run by tests/regress/once/dashboard.sh,
// which builds the KP scenario database and starts `vigil serve`:
//   BASE=http://127.0.0.1:PORT/ ART=DIR EXPECT=FILE node tests/web/dashboard.test.mjs
// EXPECT is a JSON file: {"outage": <the country:KP outage event of
// `vigil events --json`>, "flap": <its instability event>}.
// Prints "ok NAME" / "FAIL NAME (why)" per check; exits 1 on any failure.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const BASE = process.env.BASE.replace(/\/?$/, '/');
const ART = process.env.ART;
const X = JSON.parse(readFileSync(process.env.EXPECT, 'utf8'));
const OUT = X.outage;
let failed = 0;
const ok = (name, cond, why) => {
  if (cond) console.log(`ok ${name}`);
  else { failed++; console.log(`FAIL ${name}${why ? ' (' + why + ')' : ''}`); }
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  // playwright gives the browser a fresh profile (--user-data-dir) of its own in
  // a temporary directory, and removes it on close
});

// Every page of the test records console errors, uncaught exceptions,
// failed requests and HTTP errors; each check reports those of its page.
async function openPage(viewport) {
  const ctx = await browser.newContext({ viewport, deviceScaleFactor: viewport.width < 500 ? 2 : 1 });
  const page = await ctx.newPage();
  page.problems = [];
  page.on('console', (m) => { if (m.type() === 'error') page.problems.push('console: ' + m.text()); });
  page.on('pageerror', (e) => page.problems.push('exception: ' + e.message));
  page.on('requestfailed', (r) => {
    // the live stream is cut when a page closes or navigates away: not a failure
    if (r.url().endsWith('/api/v1/live') && /ERR_ABORTED/.test(r.failure()?.errorText || '')) return;
    page.problems.push('request failed: ' + r.url() + ' ' + (r.failure()?.errorText || ''));
  });
  page.on('response', (r) => { if (r.status() >= 400) page.problems.push('HTTP ' + r.status() + ' ' + r.url()); });
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(BASE) && !u.startsWith('data:')) page.problems.push('request off the server: ' + u);
  });
  return page;
}

// Navigate and wait until the app has rendered the page (body[data-renders]
// goes up once the page, its charts and its map are drawn).
async function show(page, hash, view) {
  if (page.url().startsWith(BASE) && decodeURIComponent(new URL(page.url()).hash) === hash) {
    await page.waitForFunction((v) => document.body.dataset.view === v, view);
    return; // already there
  }
  const before = await page.evaluate(() => +(document.body && document.body.dataset.renders || 0)).catch(() => 0);
  if (page.url().startsWith(BASE)) await page.evaluate((h) => { location.hash = h; }, hash);
  else await page.goto(BASE + hash, { waitUntil: 'load' });
  await page.waitForFunction(([b, v]) => +(document.body.dataset.renders || 0) > b && document.body.dataset.view === v,
    [page.url().startsWith(BASE) ? before : 0, view], { timeout: 30000 });
}

const clean = (page, name) => {
  ok(`${name}_no_errors`, page.problems.length === 0, page.problems.slice(0, 4).join('; '));
  page.problems.length = 0;
};
const noOverflow = async (page, name) => {
  const o = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
  ok(`${name}_no_horizontal_overflow`, o.sw <= o.cw, `scrollWidth ${o.sw} > ${o.cw}`);
};
const shot = (page, name, full = true) => page.screenshot({ path: join(ART, `dashboard-${name}.png`), fullPage: full });

const fmt = (t) => new Date(t * 1000).toISOString().slice(0, 16).replace('T', ' ');
const mid = OUT.start + Math.floor((OUT.end - OUT.start) / 2 / 300) * 300;

try {
  // ---- laptop ----
  const page = await openPage({ width: 1366, height: 900 });

  // Overview at the latest bin (the outage is over by then).
  await show(page, '#/', 'overview');
  const latest = await page.textContent('.overview .sub');
  ok('overview_latest_loads', /Latest bin: \d{4}-\d\d-\d\d \d\d:\d\d UTC/.test(latest), latest);
  await page.waitForFunction(() => document.querySelector('#live.on'), null, { timeout: 5000 }).catch(() => {});
  ok('live_stream_connected', await page.$('#live.on') !== null);
  ok('overview_lists_kp_events', await page.$(`.events-card tr[data-event="${OUT.id}"]`) !== null);
  ok('overview_latest_all_normal', await page.$('table.ranked') === null && await page.$('.empty.ok') !== null);

  // Live mode: a writer stores a new bin in which KP goes dark again (a new
  // open outage); the page, following the latest bin, must redraw by itself.
  {
    const r1 = await page.evaluate(() => +document.body.dataset.renders);
    execFileSync('sqlite3', [process.env.DB, `
      BEGIN;
      INSERT INTO bins SELECT max(bin_start) + 300, 300 FROM bins;
      INSERT INTO signals SELECT entity_id, (SELECT max(bin_start) FROM bins), bin_len, 0, v6_units, 0, 0,
        0, 4, 0, 0, peers_up, baseline, 0 FROM signals
        WHERE entity_id = (SELECT id FROM entities WHERE text = 'country:KP') ORDER BY bin_start DESC LIMIT 1;
      INSERT INTO events SELECT (SELECT max(id) + 1 FROM events), id, 1, 2, (SELECT max(bin_start) FROM bins),
        NULL, 1, 0.08, 4, 0, 0 FROM entities WHERE text = 'country:KP';
      COMMIT;`]);
    const redrawn = await page.waitForFunction((b) => +document.body.dataset.renders > b &&
      document.querySelector('table.ranked tr[data-entity="country:KP"] .badge.outage'), r1, { timeout: 20000 })
      .then(() => true, () => false);
    const sub = await page.textContent('.overview .sub');
    const t0 = Date.parse(latest.match(/\d{4}-\d\d-\d\d \d\d:\d\d/)[0].replace(' ', 'T') + ':00Z') / 1000;
    ok('live_redraws_on_new_bin', redrawn && sub.includes(fmt(t0 + 300)), `${sub}; KP outage listed: ${redrawn}`);
    ok('live_map_follows', await page.$('.worldmap path.country.st-outage[data-cc="KP"]') !== null);
    // let the burst of news settle (no redraw for a second)
    for (let last = -1, n; (n = await page.evaluate(() => +document.body.dataset.renders)) !== last;) {
      last = n;
      await page.waitForTimeout(1000);
    }
  }

  // The time picker: the middle of the outage.
  const r0 = await page.evaluate(() => +document.body.dataset.renders);
  await page.fill('#time-input', new Date(mid * 1000).toISOString().slice(0, 16));
  await page.click('.timebar button[type=submit]');
  await page.waitForFunction((b) => +document.body.dataset.renders > b, r0, { timeout: 15000 });
  ok('overview_time_picker', (await page.textContent('.overview .sub')).includes(fmt(mid)),
    await page.textContent('.overview .sub'));
  const ranked = await page.$$eval('table.ranked tbody tr', (a) => a.map((tr) => ({
    e: tr.dataset.entity, out: !!tr.querySelector('.badge.outage'), sev: +tr.lastChild.textContent })));
  const kpRow = ranked.findIndex((r) => r.e === 'country:KP');
  ok('overview_ranks_kp_outage', kpRow >= 0 && ranked[kpRow].out && ranked.slice(0, kpRow).every((r) => r.out),
    JSON.stringify(ranked.slice(0, 5)));
  ok('overview_ranked_by_severity', ranked.every((r, i) => i === 0 || r.out !== ranked[i - 1].out || r.sev <= ranked[i - 1].sev),
    JSON.stringify(ranked.slice(0, 5)));
  const kp = await page.$eval('.worldmap path.country[data-cc="KP"]', (p) => ({ cls: p.getAttribute('class'), fill: getComputedStyle(p).fill }))
    .catch(() => null);
  ok('map_colours_kp_outage', kp && /st-outage/.test(kp.cls) && kp.fill === 'rgb(215, 38, 61)', JSON.stringify(kp));
  const others = await page.$$eval('.worldmap path.country.st-normal', (a) => a.length);
  ok('map_colours_normal_countries', others > 50, `${others} normal`);
  ok('map_marks_kp', await page.$('.worldmap .marker.st-outage[data-cc="KP"]') !== null);
  await shot(page, 'overview');
  clean(page, 'overview');

  // Search: a country code finds the country's page.
  {
    const r2 = await page.evaluate(() => +document.body.dataset.renders);
    await page.fill('#search-input', 'KP');
    await page.press('#search-input', 'Enter');
    const found = await page.waitForFunction((b) => +document.body.dataset.renders > b && document.body.dataset.view === 'entity',
      r2, { timeout: 10000 }).then(() => true, () => false);
    ok('search_finds_country', found && decodeURIComponent(page.url()).endsWith('#/entity/country:KP'), page.url());
  }

  // Entity page: the visibility chart with the outage shaded.
  await show(page, '#/entity/country:KP', 'entity');
  const span = await page.$eval(`#vis-chart .span.outage[data-event="${OUT.id}"]`, (s) => ({
    start: +s.dataset.start, end: +s.dataset.end, l: s.offsetLeft, w: s.offsetWidth,
  })).catch(() => null);
  ok('entity_outage_span', span && span.start === OUT.start && span.end === OUT.end, JSON.stringify(span));
  const geom = await page.evaluate(([s, e]) => {
    const u = document.querySelector('#vis-chart').__uplot;
    const t = u.data[0], v = u.data[1];
    const at = (x) => { let i = 0; while (i + 1 < t.length && t[i + 1] <= x) i++; return i; };
    const iIn = at(Math.floor((s + e) / 2 / 300) * 300), iBefore = at(s - 1800);
    return { x0: u.valToPos(s, 'x'), x1: u.valToPos(e, 'x'), vin: v[iIn], vbefore: v[iBefore],
      yin: u.valToPos(v[iIn], 'y'), ybefore: u.valToPos(v[iBefore], 'y'), h: u.over.clientHeight };
  }, [OUT.start, OUT.end]);
  ok('entity_span_placed_on_time_axis', span && Math.abs(span.l - geom.x0) <= 1.5 && Math.abs(span.l + span.w - geom.x1) <= 1.5,
    JSON.stringify({ span, geom }));
  ok('entity_series_drops', geom.vbefore === OUT.baseline && geom.vin === OUT.bottom && geom.yin - geom.ybefore > geom.h / 3,
    JSON.stringify(geom));
  ok('entity_baseline_and_upstreams', await page.evaluate(() => {
    const u = document.querySelector('#vis-chart').__uplot;
    return u.series[2].label === 'baseline' && u.series.some((s) => /via AS4837/.test(s.label || ''));
  }));
  const fl = X.flap;
  ok('entity_instability_span', await page.$(`#inst-chart .span.instability[data-event="${fl.id}"][data-start="${fl.start}"]`) !== null);
  ok('entity_instability_flagged_bins', await page.evaluate(() => {
    const u = document.querySelector('#inst-chart').__uplot;
    return u.data[2].filter((z) => z !== null).length >= 3;
  }));
  const evRow = await page.$eval(`.events-card tr[data-event="${OUT.id}"]`, (tr) => tr.textContent).catch(() => '');
  ok('entity_event_list_has_outage', evRow.includes(fmt(OUT.start)) && /outage/i.test(evRow) && evRow.includes('100%'), evRow);
  await shot(page, 'entity');
  clean(page, 'entity');

  // Event page: the evidence.
  await page.click(`.events-card tr[data-event="${OUT.id}"] a[href="#/event/${OUT.id}"]`);
  await page.waitForFunction(() => document.body.dataset.view === 'event' && document.querySelector('.page.event'));
  await page.waitForFunction(() => document.querySelector('#vis-chart .uplot'));
  const prefixes = await page.$$eval('table.prefixes tbody tr td:first-child', (a) => a.map((x) => x.textContent));
  const want = OUT.evidence.filter((x) => x.what === 'prefix').map((x) => x.prefix);
  ok('event_four_prefixes', prefixes.length === 4 && want.length === 4 && want.every((p) => prefixes.includes(p)), prefixes.join(' '));
  const origins = await page.textContent('ul.origins').catch(() => '');
  const ups = await page.textContent('ul.upstreams').catch(() => '');
  ok('event_origin_as131279', origins.includes('AS131279'), origins);
  ok('event_upstream_as4837', ups.includes('AS4837'), ups);
  const facts = await page.textContent('dl.facts');
  ok('event_facts', facts.includes(fmt(OUT.start)) && facts.includes(fmt(OUT.end)) && facts.includes('100%') &&
    facts.includes(OUT.severity.toFixed(2)), facts);
  ok('event_sample_paths', (await page.textContent('table.prefixes')).includes(OUT.evidence[0].path), OUT.evidence[0].path);
  await shot(page, 'event');
  clean(page, 'event');

  // Events list and an unknown page: handled, no errors beyond the 404 expected.
  await show(page, '#/events?kind=outage', 'events');
  const n = await page.$$eval('table.events tbody tr', (a) => a.length);
  ok('events_page_filters', n >= 1 && await page.$$eval('table.events tbody tr', (a) => a.every((tr) => tr.classList.contains('outage'))), `${n} rows`);
  clean(page, 'events');

  // The other kinds of entity: an origin AS and a country's upstream.
  for (const [ent, label] of [['asn:131279', 'AS131279'], ['upstream:KP:4837', 'KP via AS4837']]) {
    await show(page, `#/entity/${ent}`, 'entity');
    const h1 = await page.textContent('h1');
    const spans = await page.$$eval('#vis-chart .span.outage', (a) => a.length);
    ok(`entity_${ent.split(':')[0]}_page`, h1.includes(label) && (ent.startsWith('asn') ? spans >= 1 : true), `${h1}, ${spans} spans`);
    clean(page, `entity_${ent.split(':')[0]}`);
  }
  await page.context().close();

  // ---- phone ----
  const phone = await openPage({ width: 390, height: 844 });
  await show(phone, `#/?at=${mid}`, 'overview');
  await noOverflow(phone, 'phone_overview');
  await shot(phone, 'phone-overview');
  await show(phone, '#/entity/country:KP', 'entity');
  await noOverflow(phone, 'phone_entity');
  ok('phone_entity_chart_fits', await phone.evaluate(() => {
    const c = document.querySelector('#vis-chart canvas');
    return c && c.getBoundingClientRect().right <= document.documentElement.clientWidth;
  }));
  await shot(phone, 'phone-entity');
  await show(phone, `#/event/${OUT.id}`, 'event');
  await noOverflow(phone, 'phone_event');
  await shot(phone, 'phone-event');
  clean(phone, 'phone');
  await phone.context().close();
} catch (e) {
  failed++;
  console.log(`FAIL dashboard_test_ran (${e.message.split('\n')[0]})`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
