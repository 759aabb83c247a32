/* SPDX-License-Identifier: BSD-2-Clause */
/* vigil dashboard: the visibility and instability charts (uPlot), with
 * event spans as DOM elements over the plot (data-start/data-end, a link to
 * the event) so that they can be clicked, read and tested. */
'use strict';
(function () {
  var PALETTE = ['#e8871e', '#2a9d8f', '#8e5ccf', '#c2410c', '#0e7490', '#a16207', '#be185d', '#4d7c0f'];
  var utc = function (ts) { return uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'); };

  var MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  function p2(n) { return n < 10 ? '0' + n : '' + n; }
  /* time axis labels in UTC, 24-hour clock, the date under the first
   * label of each day */
  function timeValues(u, splits, ax, space, incr) {
    var prev = null;
    return splits.map(function (t) {
      var d = new Date(t * 1000);
      var day = MON[d.getUTCMonth()] + ' ' + d.getUTCDate();
      if (incr >= 86400) return day;
      var hm = p2(d.getUTCHours()) + ':' + p2(d.getUTCMinutes());
      var first = day !== prev;
      prev = day;
      return first ? hm + '\n' + day : hm;
    });
  }

  function css(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  /* value of series of upstream U at each t of T (their bins may differ) */
  function align(T, ut, uv) {
    var m = new Map();
    for (var i = 0; i < ut.length; i++) m.set(ut[i], uv[i]);
    return T.map(function (t) { var v = m.get(t); return v === undefined ? null : v; });
  }

  /* the series without the bins before the first data (a range that starts
   * before the database does) */
  function trimmed(series) {
    var i = 0, n = series.t.length;
    while (i < n - 1 && (series.v4_units[i] === null || series.v4_units[i] === undefined)) i++;
    if (i === 0) return series;
    var o = {};
    for (var k in series) o[k] = Array.isArray(series[k]) ? series[k].slice(i) : series[k];
    return o;
  }

  /* one more point at the end of the last bin (its values held there when
   * HOLD, else null), so that the last bin shows, as wide as the others */
  function withEnd(series, binLen, hold) {
    var n = series.t.length;
    if (!n) return series;
    var o = {};
    for (var k in series) {
      if (!Array.isArray(series[k])) { o[k] = series[k]; continue; }
      o[k] = series[k].concat([k === 't' ? series.t[n - 1] + (binLen || 300) : hold ? series[k][n - 1] : null]);
    }
    return o;
  }

  function chartHeight(el, h) {
    return el.clientWidth < 560 ? Math.round(h * 0.78) : h;
  }

  /* Event spans over the plot area, re-placed at every draw (zoom, resize). */
  function spanHook(events, until, kinds, highlight) {
    return function (u) {
      var box = u.over;
      box.querySelectorAll('.span').forEach(function (n) { n.remove(); });
      var w = box.clientWidth;
      var xmin = u.scales.x.min, xmax = u.scales.x.max;
      events.forEach(function (ev) {
        if (kinds.indexOf(ev.kind) < 0) return;
        var end = ev.end === null || ev.end === undefined ? Math.max(until, xmax) : ev.end;
        if (end < xmin || ev.start > xmax) return;
        var l = Math.max(0, u.valToPos(ev.start, 'x'));
        var r = Math.min(w, u.valToPos(end, 'x'));
        var a = V.el('a', {
          class: 'span ' + ev.kind + ' ' + ev.level + (ev.end === null || ev.end === undefined ? ' open' : '') +
            (highlight && highlight !== ev.id ? ' dim' : ''),
          href: '#/event/' + ev.id,
          title: ev.kind + ' ' + ev.level + ': ' + V.fmtTime(ev.start) + ' – ' +
            (ev.end ? V.fmtTime(ev.end) : 'ongoing') + ' UTC (' + V.fmtDepth(ev) + ')',
          dataset: { event: ev.id, start: ev.start, end: ev.end === null || ev.end === undefined ? '' : ev.end }
        }, r - l >= 58 ? V.el('span', { class: 'span-label', text: ev.kind === 'outage' ? 'outage' : 'unstable' }) : null);
        a.style.left = l + 'px';
        a.style.width = Math.max(2, r - l) + 'px';
        box.appendChild(a);
      });
    };
  }

  function mount(el, opts, data) {
    el.innerHTML = '';
    opts.width = Math.max(200, el.clientWidth);
    opts.height = chartHeight(el, opts.height);
    var u = new uPlot(opts, data, el);
    el.__uplot = u;
    var lastW = opts.width;
    var ro = new ResizeObserver(function () {
      var w = Math.max(200, el.clientWidth);
      if (Math.abs(w - lastW) < 2) return;
      lastW = w;
      u.setSize({ width: w, height: chartHeight(el, opts.height) });
    });
    ro.observe(el);
    return { u: u, destroy: function () { ro.disconnect(); u.destroy(); } };
  }

  function axis(extra) {
    var grid = css('--grid') || '#e5e7eb', ink = css('--muted') || '#555';
    return Object.assign({ stroke: ink, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } }, extra);
  }

  /* Visibility: the entity's visible /24s, its baseline, one line per upstream
   * (countries), outage spans shaded. */
  V.visibilityChart = function (el, sig, opts) {
    opts = opts || {};
    var s = withEnd(trimmed(sig.series), sig.bin_len, true), T = s.t;
    /* a bin's row is the state at its end: hold each value to the next bin */
    var step = uPlot.paths.stepped({ align: 1 });
    var ups = (sig.upstreams || []).slice().sort(function (a, b) {
      return Math.max.apply(null, b.v4_units.map(Number)) - Math.max.apply(null, a.v4_units.map(Number));
    }).slice(0, opts.maxUpstreams || 6);
    var data = [T, s.v4_units, s.baseline];
    var series = [{ value: function (u, v) { return v === null ? '–' : V.fmtTime(v); } },
      { label: 'visible /24s', stroke: css('--accent'), width: 2.2, fill: css('--accent-fill'), paths: step, points: { show: false },
        value: function (u, v) { return V.fmtNum(v); } },
      { label: 'baseline', stroke: css('--muted'), width: 1.5, dash: [6, 4], paths: step, points: { show: false },
        value: function (u, v) { return V.fmtNum(v); } }];
    ups.forEach(function (up, i) {
      var a = align(T, up.t, up.v4_units);
      if (a.length > 1 && a[a.length - 1] === null) a[a.length - 1] = a[a.length - 2];
      data.push(a);
      series.push({ label: 'via AS' + up.asn + (up.name ? ' ' + up.name.split(/[ ,]/)[0] : ''),
        stroke: PALETTE[i % PALETTE.length], width: 1.2, paths: step, points: { show: false },
        value: function (u, v) { return V.fmtNum(v); } });
    });
    var max = 0;
    for (var i = 1; i < data.length; i++) for (var j = 0; j < T.length; j++) if (data[i][j] > max) max = data[i][j];
    return mount(el, {
      height: opts.height || 300,
      tzDate: utc,
      class: 'vis-chart',
      cursor: { drag: { x: true, y: false }, sync: { key: 'vigil' } },
      scales: { x: { time: true }, y: { range: function () { return [0, Math.max(1, max) * 1.12]; } } },
      axes: [axis({ values: timeValues }), axis({ label: '/24s', size: 56, labelSize: 18 }),
        /* an empty right axis as wide as the instability chart's, so that
         * the two charts' time axes line up */
        axis({ side: 1, size: 48, values: function (u, sp) { return sp.map(function () { return ''; }); },
          grid: { show: false }, ticks: { show: false } })],
      series: series,
      hooks: { draw: [spanHook(sig.events || [], sig.until, ['outage'], opts.highlight)] }
    }, data);
  };

  /* Instability: robust z score (line), flaps and withdrawals (bars), the
   * bins the score flags (z >= 3, dots), instability episodes shaded. */
  V.instabilityChart = function (el, sig, opts) {
    opts = opts || {};
    var s = withEnd(trimmed(sig.series), sig.bin_len, false), T = s.t;
    /* a bin the store has no row for had nothing happen: score 0, not a gap */
    s.inst_score = (s.inst_score || []).map(function (z, i) {
      return z === null && s.flaps[i] !== null && s.flaps[i] !== undefined ? 0 : z;
    });
    var flagged = (s.inst_score || []).map(function (z) { return z !== null && z >= 3 ? z : null; });
    var bars = uPlot.paths.bars;
    var data = [T, s.inst_score, flagged, s.flaps, s.withdrawals];
    var zmax = 3.5, nmax = 1;
    T.forEach(function (t, i) {
      if (s.inst_score[i] > zmax) zmax = s.inst_score[i];
      nmax = Math.max(nmax, s.flaps[i] || 0, s.withdrawals[i] || 0);
    });
    return mount(el, {
      height: opts.height || 220,
      tzDate: utc,
      class: 'inst-chart',
      cursor: { drag: { x: true, y: false }, sync: { key: 'vigil' } },
      scales: { x: { time: true }, z: { range: function () { return [0, zmax * 1.15]; } },
        n: { range: function () { return [0, nmax * 1.15]; } } },
      axes: [axis({ values: timeValues }), axis({ scale: 'z', label: 'score (z)', size: 56, labelSize: 18 }),
        axis({ scale: 'n', side: 1, label: 'count', size: 48, labelSize: 18, grid: { show: false } })],
      series: [{ value: function (u, v) { return v === null ? '–' : V.fmtTime(v); } },
        { label: 'score', scale: 'z', stroke: css('--violet'), width: 1.8, points: { show: false },
          value: function (u, v) { return V.fmtNum(v, 1); } },
        { label: 'flagged', scale: 'z', stroke: css('--bad'), fill: css('--bad'), width: 0,
          paths: function () { return null; }, points: { show: true, size: 7, stroke: css('--bad'), fill: css('--bad') },
          value: function (u, v) { return v === null ? '–' : 'yes'; } },
        { label: 'flaps', scale: 'n', stroke: css('--warn'), fill: css('--warn-fill'), width: 1,
          paths: bars({ size: [0.42, 18], align: -1 }), points: { show: false } },
        { label: 'withdrawals', scale: 'n', stroke: css('--muted'), fill: css('--muted-fill'), width: 1,
          paths: bars({ size: [0.42, 18], align: 1 }), points: { show: false } }],
      hooks: { draw: [spanHook(sig.events || [], sig.until, ['instability'], opts.highlight)] }
    }, data);
  };
})();
