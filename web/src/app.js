/* SPDX-License-Identifier: BSD-2-Clause */
/* vigil dashboard: hash routes, the four pages, search and live mode.
 *   #/                    overview: status now (or ?at=T), map, ranked list, recent events
 *   #/entity/ENTITY       visibility and instability charts, events (?until=T&span=24h)
 *   #/event/ID            one event with its evidence
 *   #/events              every event, filtered and paged
 * <body data-view=... data-renders=N> tells tests (and people) what is shown. */
'use strict';
(function () {
  var el = V.el;
  var view = document.getElementById('view');
  var cleanups = [];
  var token = 0;
  var renders = 0;
  var current = null;      /* parsed route being shown */
  var latest = null;       /* {t, at: Date.now()} latest bin known */
  var RANKED_SHOWN = 15;    /* the overview's list, before "show all" */
  var SPANS = { '6h': 6 * 3600, '24h': 86400, '3d': 3 * 86400, '7d': 7 * 86400 };

  /* The newest bin in the database: from the live stream, or /status. */
  async function latestBin() {
    if (latest && Date.now() - latest.at < 15000) return latest.t;
    var st = await V.api('status');
    latest = { t: st.at, at: Date.now() };
    return st.at;
  }

  /* An empty database (a collector that has not stored its first bin yet):
   * live mode redraws the page when it does. */
  function noData() {
    return el('div', { class: 'page nodata' }, card('No data yet', el('p', { class: 'empty',
      text: 'The database holds no signals yet. This page fills in by itself when the first bin is stored.' })));
  }

  function card(title, body, cls, extra) {
    return el('section', { class: 'card ' + (cls || '') },
      title ? el('div', { class: 'card-head' }, el('h2', { text: title }), extra || null) : null, body);
  }

  function evidenceSummary(ev) {
    var np = 0, o = new Set(), u = new Set();
    (ev.evidence || []).forEach(function (x) {
      if (x.what === 'prefix') { np++; if (x.asn) o.add(x.asn); if (x.upstream) u.add(x.upstream); }
      if (x.what === 'origin' && x.asn) o.add(x.asn);
      if (x.what === 'upstream' && x.asn) u.add(x.asn);
    });
    var parts = [];
    if (np) parts.push(np + (np > 1 ? ' prefixes' : ' prefix'));
    var list = function (s) { var a = Array.from(s); return a.slice(0, 3).map(function (x) { return 'AS' + x; }).join(', ') + (a.length > 3 ? ' +' + (a.length - 3) : ''); };
    if (o.size) parts.push((o.size > 1 ? 'origins ' : 'origin ') + list(o));
    if (u.size) parts.push((u.size > 1 ? 'upstreams ' : 'upstream ') + list(u));
    if (ev.n_evidence_total > ev.n_evidence) parts.push('+' + (ev.n_evidence_total - ev.n_evidence) + ' more');
    return parts.join(', ') || '–';
  }

  /* Events as a table; rows link to the event page. */
  function eventTable(events, opts) {
    opts = opts || {};
    if (!events.length) return el('p', { class: 'empty', text: opts.empty || 'No events.' });
    var rows = events.map(function (ev) {
      var go = function (e) { if (!e.target.closest('a')) location.hash = '#/event/' + ev.id; };
      return el('tr', { class: 'ev-row ' + ev.kind + ' ' + ev.level, onclick: go, dataset: { event: ev.id } },
        el('td', { class: 'nowrap c-start' }, el('a', { href: '#/event/' + ev.id, text: V.fmtTime(ev.start) })),
        opts.noEntity ? null : el('td', { class: 'c-ent' }, V.entityLink(ev.entity, ev.name)),
        el('td', { class: 'c-kind' }, V.badge(ev.kind, ev.level)),
        el('td', { class: 'nowrap c-dur' }, ev.end === null ? el('span', { class: 'ongoing', text: 'ongoing' + (latest && latest.t > ev.start ? ' ' + V.fmtDur(latest.t - ev.start) : '') }) : V.fmtDur(ev.duration)),
        el('td', { class: 'num c-depth' }, V.fmtDepth(ev)),
        el('td', { class: 'num hide-s' }, V.fmtNum(ev.severity, 2)),
        el('td', { class: 'evsum', text: evidenceSummary(ev) }));
    });
    return el('div', { class: 'table-wrap' }, el('table', { class: 'events' + (opts.noEntity ? ' no-ent' : '') },
      el('thead', null, el('tr', null, el('th', { text: 'Start (UTC)' }), opts.noEntity ? null : el('th', { text: 'Entity' }),
        el('th', { text: 'Kind' }), el('th', { text: 'Duration' }), el('th', { class: 'num', text: 'Depth' }),
        el('th', { class: 'num hide-s', text: 'Severity' }), el('th', { text: 'Evidence' }))),
      el('tbody', null, rows)));
  }

  /* A time form: datetime-local (UTC), step buttons, "Latest". */
  function timeBar(t, isLatest, onPick, step, extra) {
    var input = el('input', { type: 'datetime-local', value: V.inputTime(t), step: 300, 'aria-label': 'Time (UTC)', id: 'time-input' });
    var form = el('form', { class: 'timebar', onsubmit: function (e) {
      e.preventDefault(); var v = V.parseTime(input.value); if (v !== null) onPick(v);
    } },
    el('button', { type: 'button', class: 'btn', title: 'Back ' + V.fmtDur(step), onclick: function () { onPick(t - step); } }, '‹'),
    el('label', null, el('span', { class: 'lbl', text: 'UTC' }), input),
    el('button', { type: 'button', class: 'btn', title: 'Forward ' + V.fmtDur(step), onclick: function () { onPick(t + step); } }, '›'),
    el('button', { type: 'submit', class: 'btn go', text: 'Go' }),
    el('button', { type: 'button', class: 'btn' + (isLatest ? ' on' : ''), text: 'Latest', onclick: function () { onPick(null); } }),
    extra || null);
    return form;
  }

  /* ---- overview ---- */
  async function overview(q) {
    var at = V.parseTime(q.at);
    var st = await V.api('status', { at: at === null ? undefined : at });
    at = st.at;
    if (at === null || at === undefined) return { node: noData() };
    if (q.at === undefined) latest = { t: st.at, at: Date.now() };
    var evs = await V.api('events', { from: at - 86400, until: at, limit: 30 });
    var rows = st.data || [];
    var bad = rows.filter(function (r) { return r.status !== 'normal'; });
    var countries = rows.filter(function (r) { return r.kind === 'country'; });
    var nOut = bad.filter(function (r) { return r.status === 'outage'; }).length;
    var nUn = bad.filter(function (r) { return r.status === 'unstable'; }).length;
    var pick = function (t) { location.hash = V.hash('', { at: t === null ? null : V.isoTime(t) }); };

    var ranked = bad.length ? el('div', { class: 'table-wrap' }, el('table', { class: 'ranked' },
      el('thead', null, el('tr', null, el('th', { text: 'Status' }), el('th', { text: 'Entity' }),
        el('th', { class: 'num', text: 'Visible /24s' }), el('th', { class: 'num', text: 'Severity' }))),
      el('tbody', null, bad.map(function (r, i) {
        return el('tr', { class: 'st-row ' + r.status + (i >= RANKED_SHOWN ? ' more' : ''), dataset: { entity: r.entity } },
          el('td', { class: 'c-kind' }, V.badge(r.status, r.level)),
          el('td', { class: 'c-ent' }, V.entityLink(r.entity, r.name),
            r.event_id ? el('a', { class: 'evlink', href: '#/event/' + r.event_id, text: 'event #' + r.event_id }) : null),
          el('td', { class: 'num c-vis', 'data-label': '/24s ' }, V.fmtNum(r.v4_units), r.baseline !== null && r.baseline !== undefined ?
            el('span', { class: 'of', text: ' / ' + V.fmtNum(r.baseline, 0) }) : null),
          el('td', { class: 'num c-sev', 'data-label': 'severity ', text: V.fmtNum(r.severity, 2) }));
      }))), bad.length > RANKED_SHOWN ? el('button', { type: 'button', class: 'btn show-more', text: 'show all ' + bad.length,
        onclick: function (e) { e.target.closest('.table-wrap').classList.add('all'); e.target.remove(); } }) : null)
      : el('p', { class: 'empty ok', text: 'Nothing is dark or shaking at ' + V.fmtTimeUTC(at) + '.' });

    var mapBox = el('div', { class: 'map', id: 'map' });
    var page = el('div', { class: 'page overview' },
      el('div', { class: 'page-head' },
        el('div', null, el('h1', { text: 'What is dark or shaking' }),
          el('p', { class: 'sub' }, (q.at === undefined ? 'Latest bin: ' : 'At ') + V.fmtTimeUTC(at))),
        timeBar(at, q.at === undefined, pick, 3600)),
      el('div', { class: 'chips' },
        el('span', { class: 'chip outage' + (nOut ? ' lit' : '') }, el('b', { text: nOut }), nOut === 1 ? ' outage' : ' outages'),
        el('span', { class: 'chip unstable' + (nUn ? ' lit' : '') }, el('b', { text: nUn }), ' unstable'),
        el('span', { class: 'chip' }, el('b', { text: countries.length }), ' countries watched')),
      el('div', { class: 'grid-2' },
        card('World', mapBox, 'map-card'),
        card('Ranked by severity', ranked, 'ranked-card')),
      card('Events in the 24 hours to ' + V.fmtTime(at), eventTable(evs.data || [], { empty: 'No events in these 24 hours.' }),
        'events-card', evs.total > (evs.data || []).length ?
          el('a', { href: V.hash('events', { until: V.isoTime(at) }), text: 'all ' + evs.total + ' →' }) : null));
    return { node: page, after: function () { return V.worldMap(mapBox, rows); } };
  }

  /* ---- entity ---- */
  async function entity(ent, q) {
    var span = SPANS[q.span] ? q.span : '24h';
    var until = V.parseTime(q.until);
    var following = until === null;
    if (following) until = await latestBin();
    if (until === null || until === undefined) return { node: noData() };
    var from = until - SPANS[span];
    var res = await Promise.all([
      V.api('signals/' + encodeURIComponent(ent), { from: from, until: until }),
      V.api('events', { entity: ent, exact: 1, limit: 50 })]);
    var sig = res[0], evs = res[1];
    var s = sig.series;
    var lastIdx = s.t.length - 1;
    while (lastIdx > 0 && (s.v4_units[lastIdx] === null || s.v4_units[lastIdx] === undefined)) lastIdx--;
    var at = function (k) { return lastIdx >= 0 ? s[k][lastIdx] : null; };
    var openEvs = (sig.events || []).filter(function (e) { return e.start <= until && (e.end === null || e.end > until); });
    var go = function (u, sp) {
      location.hash = V.hash('entity/' + ent, { until: u === null ? null : V.isoTime(u), span: sp === '24h' ? null : sp });
    };
    var spanBtns = el('div', { class: 'seg', role: 'group', 'aria-label': 'Range' }, Object.keys(SPANS).map(function (k) {
      return el('button', { type: 'button', class: 'btn' + (k === span ? ' on' : ''), text: k,
        onclick: function () { go(following ? null : until, k); } });
    }));
    var p = V.entityParts(ent);
    var tiles = el('div', { class: 'tiles' },
      tile('Visible /24s', V.fmtNum(at('v4_units')), at('baseline') !== null && at('baseline') !== undefined ? 'baseline ' + V.fmtNum(at('baseline'), 1) : 'no baseline yet'),
      tile('Visible /48s', V.fmtNum(at('v6_units'))),
      tile('Prefixes', V.fmtNum(at('prefixes')), V.fmtNum(at('origins')) + ' origin AS' + (at('origins') === 1 ? '' : 'es')),
      tile('Full-feed peers', V.fmtNum(at('peers_up'))),
      tile('Events', V.fmtNum(evs.total), openEvs.length ? openEvs.length + ' open' : 'none open'));
    var visBox = el('div', { class: 'chart', id: 'vis-chart' });
    var instBox = el('div', { class: 'chart', id: 'inst-chart' });
    var ups = (sig.upstreams || []).map(function (u) {
      var now = null, mx = 0;
      for (var i = u.v4_units.length - 1; i >= 0; i--) if (u.v4_units[i] !== null) { now = u.v4_units[i]; break; }
      u.v4_units.forEach(function (v) { if (v > mx) mx = v; });
      return { u: u, now: now, max: mx };
    }).sort(function (a, b) { return b.max - a.max; });
    var page = el('div', { class: 'page entity', dataset: { entity: ent } },
      el('div', { class: 'page-head' },
        el('div', null,
          el('h1', null, V.entityTitle(ent, sig.name), ' ', el('span', { class: 'ent-code', text: ent }),
            openEvs.map(function (e) { return el('a', { href: '#/event/' + e.id }, V.badge(e.kind, e.level)); })),
          el('p', { class: 'sub', text: V.fmtTimeUTC(from) + ' – ' + V.fmtTimeUTC(until) + (following ? ' (latest)' : '') +
            ' · ' + V.fmtDur(sig.bin_len) + ' bins' })),
        timeBar(until, following, function (t) { go(t, span); }, SPANS[span] / 2, spanBtns)),
      tiles,
      card('Visibility' + (p.kind === 'country' && ups.length ? ' and upstreams' : ''), visBox, 'chart-card',
        el('span', { class: 'hint', text: 'IPv4 /24s; outages shaded; drag to zoom, double-click to reset' })),
      card('Instability', instBox, 'chart-card',
        el('span', { class: 'hint', text: 'robust z score, flagged bins (z ≥ 3), flaps and withdrawals per bin' })),
      el('div', { class: 'grid-2 wide-left' },
        card('Events', eventTable(evs.data || [], { noEntity: true, empty: 'No events for ' + ent + '.' }), 'events-card'),
        ups.length ? card('Upstreams', el('div', { class: 'table-wrap' }, el('table', { class: 'ups' },
          el('thead', null, el('tr', null, el('th', { text: 'AS' }), el('th', { text: 'Name' }),
            el('th', { class: 'num', text: 'now' }), el('th', { class: 'num', text: 'max' }))),
          el('tbody', null, ups.map(function (x) {
            return el('tr', null, el('td', null, el('a', { href: '#/entity/' + x.u.entity, text: 'AS' + x.u.asn })),
              el('td', { class: 'clip', text: x.u.name || '' }),
              el('td', { class: 'num', text: V.fmtNum(x.now) }), el('td', { class: 'num', text: V.fmtNum(x.max) }));
          }))))) : null));
    return { node: page, after: function () {
      cleanups.push(V.visibilityChart(visBox, sig).destroy);
      cleanups.push(V.instabilityChart(instBox, sig).destroy);
    } };
  }

  function tile(label, value, sub) {
    return el('div', { class: 'tile' }, el('div', { class: 'tile-l', text: label }),
      el('div', { class: 'tile-v', text: value }), sub ? el('div', { class: 'tile-s', text: sub }) : null);
  }

  /* ---- event ---- */
  async function eventPage(id) {
    if (!/^\d+$/.test(id)) throw new Error('"' + id + '" is not an event id');
    var ev = await V.api('events/' + id);
    var end = ev.end === null ? await latestBin() : ev.end;
    var pad = Math.max(3 * 3600, Math.min(86400, end - ev.start));
    var sig = await V.api('signals/' + encodeURIComponent(ev.entity), { from: ev.start - pad, until: end + pad / 2 });
    var p = V.entityParts(ev.entity);
    var ev_ = ev.evidence || [];
    var prefixes = ev_.filter(function (x) { return x.what === 'prefix'; });
    /* the server groups origins and upstreams (with names); else from the evidence */
    var group = function (own, pick) {
      if (Array.isArray(own)) return own;
      var seen = new Map();
      ev_.forEach(function (x) { var a = pick(x); if (a && !seen.has(a)) seen.set(a, { asn: a, name: null }); });
      return Array.from(seen.values());
    };
    var origins = group(ev.origins, function (x) { return x.what === 'origin' || x.what === 'prefix' ? x.asn : 0; });
    var upstreams = group(ev.upstreams, function (x) { return x.what === 'upstream' ? x.asn : x.what === 'prefix' ? x.upstream : 0; });
    var upLink = function (asn) {
      return p.code && p.kind !== 'asn' ? el('a', { href: '#/entity/upstream:' + p.code + ':' + asn, class: 'asn', text: 'AS' + asn }) : V.asLink(asn);
    };
    var pathNode = function (path) {
      if (!path) return '–';
      return el('span', { class: 'aspath' }, path.split(' ').map(function (a, i) {
        return [i ? ' ' : null, /^\d+$/.test(a) ? el('a', { href: '#/entity/asn:' + a, text: a }) : a];
      }));
    };
    var chartBox = el('div', { class: 'chart', id: ev.kind === 'outage' ? 'vis-chart' : 'inst-chart' });
    var facts = [
      ['Entity', V.entityLink(ev.entity, ev.name)],
      ['Start', V.fmtTimeUTC(ev.start)],
      ['End', ev.end === null ? el('span', { class: 'ongoing', text: 'ongoing' }) : V.fmtTimeUTC(ev.end)],
      ['Duration', ev.end === null ? V.fmtDur(end - ev.start) + ' so far' : V.fmtDur(ev.duration)],
      [ev.kind === 'outage' ? 'Depth' : 'Peak score', V.fmtDepth(ev)],
      ['Severity', V.fmtNum(ev.severity, 2)]];
    if (ev.kind === 'outage')
      facts.push(['Visibility', V.fmtNum(ev.baseline, 1) + ' → ' + V.fmtNum(ev.bottom, 1) + ' /24s']);
    var page = el('div', { class: 'page event', dataset: { event: ev.id } },
      el('div', { class: 'page-head' }, el('div', null,
        el('h1', null, (ev.kind === 'outage' ? 'Outage' : 'Instability') + ' · ' + V.entityTitle(ev.entity, ev.name), ' ',
          V.badge(ev.kind, ev.level)),
        el('p', { class: 'sub', text: 'event #' + ev.id + ' · ' + ev.entity }))),
      el('dl', { class: 'facts' }, facts.map(function (f) {
        return el('div', null, el('dt', { text: f[0] }), el('dd', null, f[1]));
      })),
      card(ev.kind === 'outage' ? 'Visibility' : 'Instability', chartBox, 'chart-card',
        el('a', { href: V.hash('entity/' + ev.entity, { until: V.isoTime(end + pad / 2), span: pad * 1.5 > 86400 ? '3d' : '24h' }), text: 'entity page →' })),
      el('h2', { class: 'sect', text: 'Evidence' + (ev.n_evidence_total > ev.n_evidence ? ' (' + ev.n_evidence + ' of ' + ev.n_evidence_total + ' items kept)' : '') }),
      el('div', { class: 'grid-2 wide-left' },
        card('Prefixes (' + prefixes.length + ')', prefixes.length ? el('div', { class: 'table-wrap' }, el('table', { class: 'prefixes' },
          el('thead', null, el('tr', null, el('th', { text: 'Prefix' }), el('th', { text: 'Origin' }),
            el('th', { text: 'Upstream' }), el('th', { text: 'Sample AS path (before)' }))),
          el('tbody', null, prefixes.map(function (x) {
            return el('tr', null, el('td', { class: 'mono', text: x.prefix }), el('td', null, x.asn ? V.asLink(x.asn) : '–'),
              el('td', null, x.upstream ? upLink(x.upstream) : '–'), el('td', { class: 'mono' }, pathNode(x.path)));
          })))) : el('p', { class: 'empty', text: 'No prefix recorded.' }), 'evidence-card'),
        el('div', { class: 'stack' },
          card('Origin ASes (' + origins.length + ')', origins.length ? el('ul', { class: 'aslist origins' }, origins.map(function (x) {
            return el('li', null, V.asLink(x.asn), x.name ? el('span', { class: 'asname', text: x.name }) : null);
          })) : el('p', { class: 'empty', text: '–' })),
          card('Upstreams (' + upstreams.length + ')', upstreams.length ? el('ul', { class: 'aslist upstreams' }, upstreams.map(function (x) {
            return el('li', null, upLink(x.asn), x.name ? el('span', { class: 'asname', text: x.name }) : null);
          })) : el('p', { class: 'empty', text: '–' })))));
    return { node: page, after: function () {
      var f = ev.kind === 'outage' ? V.visibilityChart : V.instabilityChart;
      cleanups.push(f(chartBox, sig, { height: 260, highlight: ev.id }).destroy);
    } };
  }

  /* ---- all events ---- */
  async function eventsPage(q) {
    var limit = 50, offset = Math.max(0, parseInt(q.offset || '0', 10) || 0);
    var params = { entity: q.entity, kind: q.kind, level: q.level, from: q.from, until: q.until, open: q.open, limit: limit, offset: offset };
    var r = await V.api('events', params);
    var sel = function (name, opts) {
      return el('select', { name: name, 'aria-label': name, onchange: function (e) {
        var n = Object.assign({}, q); n[name] = e.target.value; delete n.offset; location.hash = V.hash('events', n);
      } }, opts.map(function (o) { return el('option', { value: o[0], selected: (q[name] || '') === o[0] }, o[1]); }));
    };
    var entIn = el('input', { type: 'search', name: 'entity', value: q.entity || '', placeholder: 'entity, e.g. country:KP' });
    var pager = function (off) {
      var n = Object.assign({}, q); n.offset = off || null; return V.hash('events', n);
    };
    return { node: el('div', { class: 'page events-page' },
      el('div', { class: 'page-head' }, el('div', null, el('h1', { text: 'Events' }),
        el('p', { class: 'sub', text: r.total + ' event' + (r.total === 1 ? '' : 's') + (q.until ? ' until ' + q.until : '') }))),
      el('form', { class: 'filters', onsubmit: function (e) {
        e.preventDefault(); var n = Object.assign({}, q); n.entity = entIn.value.trim(); delete n.offset; location.hash = V.hash('events', n);
      } }, sel('kind', [['', 'any kind'], ['outage', 'outages'], ['instability', 'instability']]),
      sel('level', [['', 'any level'], ['warning', 'warning+'], ['critical', 'critical']]),
      sel('open', [['', 'open or closed'], ['1', 'open only']]), entIn, el('button', { class: 'btn', type: 'submit', text: 'Filter' })),
      card(null, eventTable(r.data || [], { empty: 'No event matches.' }), 'events-card'),
      el('div', { class: 'pager' },
        offset > 0 ? el('a', { class: 'btn', href: pager(Math.max(0, offset - limit)), text: '‹ newer' }) : null,
        el('span', { text: (r.total ? offset + 1 : 0) + '–' + Math.min(r.total, offset + limit) + ' of ' + r.total }),
        offset + limit < r.total ? el('a', { class: 'btn', href: pager(offset + limit), text: 'older ›' }) : null)) };
  }

  /* ---- router ---- */
  async function render(quiet) {
    var my = ++token;
    var r = V.parseHash(location.hash);
    current = r;
    var name = r.parts[0] || 'overview';
    document.body.dataset.view = name;
    document.querySelectorAll('[data-nav]').forEach(function (a) {
      a.classList.toggle('on', a.dataset.nav === name);
    });
    if (!quiet) view.classList.add('loading');
    var out;
    try {
      if (name === 'overview') out = await overview(r.q);
      else if (name === 'entity' && r.parts[1]) out = await entity(r.parts.slice(1).join('/'), r.q);
      else if (name === 'event' && r.parts[1]) out = await eventPage(r.parts[1]);
      else if (name === 'events') out = await eventsPage(r.q);
      else throw new Error('No page "' + location.hash + '"');
    } catch (e) {
      out = { node: el('div', { class: 'page' }, card('Could not show this page', el('p', { class: 'error', text: e.message }),
        'error-card'), el('p', null, el('a', { href: '#/', text: '← overview' }))) };
    }
    if (my !== token) return;
    var y = window.scrollY;
    cleanups.forEach(function (f) { try { f(); } catch (e) { /* already gone */ } });
    cleanups = [];
    view.classList.remove('loading');
    view.replaceChildren(out.node);
    if (out.after) {
      try { await out.after(); } catch (e) {
        out.node.appendChild(card('Could not draw', el('p', { class: 'error', text: e.message }), 'error-card'));
      }
    }
    if (my !== token) return;
    if (quiet) window.scrollTo(0, y); else window.scrollTo(0, 0);
    document.title = 'vigil · ' + (out.node.querySelector('h1') ? out.node.querySelector('h1').textContent : name);
    document.body.dataset.renders = ++renders;
  }
  window.addEventListener('hashchange', function () { render(false); });

  /* ---- search ---- */
  var sIn = document.getElementById('search-input'), sList = document.getElementById('search-list');
  var sTimer = null, sLast = [];
  sIn.addEventListener('input', function () {
    clearTimeout(sTimer);
    var text = sIn.value.trim();
    if (text.length < 2) return;
    sTimer = setTimeout(async function () {
      try {
        var r = await V.api('entities', { search: text, limit: 20 });
        sLast = r.data || [];
        sList.replaceChildren.apply(sList, sLast.map(function (e) {
          return el('option', { value: e.entity }, (e.name || '') + ' (' + e.entity + ')');
        }));
        var hit = sLast.find(function (e) { return e.entity === text; });
        if (hit) { location.hash = '#/entity/' + hit.entity; sIn.value = ''; }
      } catch (e) { sLast = []; }
    }, 200);
  });
  document.getElementById('search').addEventListener('submit', async function (e) {
    e.preventDefault();
    var text = sIn.value.trim();
    if (!text) return;
    var r;
    try { r = await V.api('entities', { search: text, limit: 20 }); } catch (err) { r = { data: [] }; }
    var d = r.data || [];
    var lc = text.toLowerCase();
    var hit = d.find(function (x) { return x.entity.toLowerCase() === lc || (x.code || '').toLowerCase() === lc ||
      (x.name || '').toLowerCase() === lc || ('as' + x.asn) === lc.replace(/^as/, 'as'); }) || d[0];
    if (hit) { location.hash = '#/entity/' + hit.entity; sIn.value = ''; sIn.blur(); }
    else { sIn.classList.add('nohit'); setTimeout(function () { sIn.classList.remove('nohit'); }, 1200); }
  });

  /* ---- live mode ---- */
  var liveEl = document.getElementById('live');
  var refreshTimer = null;
  function following() {
    if (!current) return false;
    var n = current.parts[0] || 'overview';
    if (n === 'overview') return current.q.at === undefined;
    if (n === 'entity') return current.q.until === undefined;
    return n === 'events' || n === 'event';
  }
  /* Redraw shortly (news come in bursts: an event, then its bin), but not
   * under the fingers of someone typing in a form of the page. */
  function refreshSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () {
      var a = document.activeElement;
      if (a && view.contains(a) && /^(INPUT|SELECT|TEXTAREA)$/.test(a.tagName)) refreshSoon();
      else render(true);
    }, 400);
  }
  function live() {
    if (!window.EventSource) return;
    var es = new EventSource(V.API + 'live');
    es.addEventListener('open', function () { liveEl.classList.add('on'); liveEl.title = 'Live: the page follows new bins and events'; });
    es.addEventListener('error', function () { liveEl.classList.remove('on'); liveEl.title = 'Live updates: reconnecting'; });
    es.addEventListener('bin', function (m) {
      var d = {};
      try { d = JSON.parse(m.data); } catch (e) { return; }
      if (typeof d.t === 'number') latest = { t: d.t, at: Date.now() };
      liveEl.classList.add('on', 'blink');
      setTimeout(function () { liveEl.classList.remove('blink'); }, 600);
      if (following()) refreshSoon();
    });
    es.addEventListener('event', function (m) {
      var ev = {};
      try { ev = JSON.parse(m.data); } catch (e) { return; }
      if (!current) return;
      var n = current.parts[0] || 'overview';
      if (n === 'event' && String(ev.id) !== current.parts[1]) return;
      if (n === 'entity' && current.parts.slice(1).join('/') !== ev.entity && current.q.until === undefined) return;
      if (following() || n === 'event') refreshSoon();
    });
  }

  render(false);
  live();
})();
