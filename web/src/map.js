/* SPDX-License-Identifier: BSD-2-Clause */
/* vigil dashboard: the world map (Natural Earth 1:110m from world-atlas,
 * d3-geo), countries coloured by status; countries with an outage or
 * instability get a marker too, since many are too small to see. */
'use strict';
(function () {
  var NS = 'http://www.w3.org/2000/svg';
  var W = 960;
  var geo = null;

  function svg(tag, attrs) {
    var n = document.createElementNS(NS, tag);
    for (var k in attrs || {}) n.setAttribute(k, attrs[k]);
    return n;
  }

  /* the atlas and ISO 3166 numeric → alpha-2 codes, fetched once */
  function load() {
    if (!geo) {
      geo = Promise.all([
        fetch('vendor/countries-110m.json').then(function (r) { return r.json(); }),
        fetch('vendor/iso3166.json').then(function (r) { return r.json(); })
      ]).then(function (a) {
        var num = {};
        a[1].forEach(function (c) { num[c[2]] = c[0]; });
        var fc = topojson.feature(a[0], a[0].objects.countries);
        fc.features = fc.features.filter(function (f) { return f.id !== '010'; }); /* Antarctica */
        fc.features.forEach(function (f) { f.properties.cc = num[f.id] || null; });
        var borders = topojson.mesh(a[0], a[0].objects.countries, function (x, y) { return x !== y; });
        return { fc: fc, borders: borders };
      });
    }
    return geo;
  }

  /* Draw into EL the map of ROWS (the /status data); returns a promise. */
  V.worldMap = async function (el, rows) {
    var g = await load();
    var by = {};
    rows.forEach(function (r) { if (r.kind === 'country' && r.code) by[r.code] = r; });
    var proj = d3.geoNaturalEarth1().fitWidth(W - 12, g.fc);
    var path = d3.geoPath(proj);
    var b = path.bounds(g.fc);
    proj.translate([proj.translate()[0] + 6 - b[0][0], proj.translate()[1] + 6 - b[0][1]]);
    var H = Math.ceil(b[1][1] - b[0][1] + 12);
    var root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'worldmap', role: 'img',
      'aria-label': 'World map coloured by status' });
    var markers = [];
    g.fc.features.forEach(function (f) {
      var cc = f.properties.cc, r = cc ? by[cc] : null;
      var st = r ? r.status : 'nodata';
      var p = svg('path', { d: path(f), class: 'country st-' + st + (r && r.level ? ' lvl-' + r.level : '') });
      if (cc) p.setAttribute('data-cc', cc);
      var t = svg('title');
      t.textContent = (r ? (r.name || cc) : (f.properties.name || cc || '?')) + ': ' +
        (r ? r.status + (r.level ? ' (' + r.level + ')' : '') +
          (r.v4_units !== null && r.v4_units !== undefined ? ', ' + V.fmtNum(r.v4_units) + ' /24s visible' +
            (r.baseline ? ' of ' + V.fmtNum(r.baseline, 0) : '') : '') : 'no data');
      p.appendChild(t);
      if (r) {
        p.addEventListener('click', function () { location.hash = '#/entity/' + r.entity; });
        if (st !== 'normal') {
          var c = proj(d3.geoCentroid(f));
          if (c) markers.push({ c: c, r: r });
        }
      }
      root.appendChild(p);
    });
    root.appendChild(svg('path', { d: path(g.borders), class: 'borders' }));
    markers.forEach(function (m) {
      var a = svg('a', { href: '#/entity/' + m.r.entity, class: 'marker st-' + m.r.status, 'data-cc': m.r.code });
      a.appendChild(svg('circle', { cx: m.c[0], cy: m.c[1], r: 14, class: 'halo' }));
      a.appendChild(svg('circle', { cx: m.c[0], cy: m.c[1], r: 5, class: 'dot' }));
      var t = svg('title');
      t.textContent = (m.r.name || m.r.code) + ': ' + m.r.status + (m.r.level ? ' (' + m.r.level + ')' : '');
      a.appendChild(t);
      root.appendChild(a);
    });
    el.innerHTML = '';
    el.appendChild(root);
    var legend = V.el('div', { class: 'legend' },
      [['outage', 'outage'], ['unstable', 'unstable'], ['normal', 'normal'], ['nodata', 'no data']].map(function (x) {
        return V.el('span', null, V.el('i', { class: 'sw st-' + x[0] }), x[1]);
      }));
    el.appendChild(legend);
  };
})();
