/* SPDX-License-Identifier: BSD-2-Clause */
/* vigil dashboard: API access, time and number formats, a DOM builder and
 * the hash router's parser.  Everything hangs off the global V. */
'use strict';
var V = window.V = {};

V.API = 'api/v1/';

/* GET an API path with query parameters (undefined/null/'' left out); the
 * JSON answer, or an Error carrying the server's {"error": reason}. */
V.api = async function (path, params) {
  var q = new URLSearchParams();
  for (var k in params || {}) {
    var v = params[k];
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  }
  var url = V.API + path + (q.toString() ? '?' + q : '');
  var r = await fetch(url, { headers: { Accept: 'application/json' } });
  var body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  if (!r.ok) {
    var err = new Error((body && body.error) || ('HTTP ' + r.status + ' for ' + url));
    err.status = r.status;
    throw err;
  }
  return body;
};

function pad(n) { return n < 10 ? '0' + n : '' + n; }

/* 2014-12-22 16:15 (UTC, to the minute; seconds when not zero) */
V.fmtTime = function (t, withYear) {
  if (t === null || t === undefined) return '–';
  var d = new Date(t * 1000);
  var s = (withYear === false ? '' : d.getUTCFullYear() + '-') + pad(d.getUTCMonth() + 1) + '-' +
    pad(d.getUTCDate()) + ' ' + pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
  if (d.getUTCSeconds()) s += ':' + pad(d.getUTCSeconds());
  return s;
};
V.fmtTimeUTC = function (t) { return t === null || t === undefined ? '–' : V.fmtTime(t) + ' UTC'; };

/* ISO text as the API takes it: 2014-12-22T16:15Z */
V.isoTime = function (t) {
  var d = new Date(t * 1000);
  return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + 'T' +
    pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + 'Z';
};

/* value for <input type=datetime-local>, read as UTC */
V.inputTime = function (t) { return V.isoTime(t).slice(0, 16); };

/* Unix seconds from digits or ISO 8601 (UTC when no zone), else null */
V.parseTime = function (s) {
  if (s === null || s === undefined || s === '') return null;
  s = String(s).trim();
  if (/^\d+$/.test(s)) return parseInt(s, 10);
  var m = /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d))?)?Z?$/.exec(s);
  if (!m) return null;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0), +(m[6] || 0)) / 1000;
};

/* 55m, 9h 31m, 2d 4h */
V.fmtDur = function (s) {
  if (s === null || s === undefined) return '–';
  s = Math.round(s);
  if (s < 60) return s + 's';
  var m = Math.round(s / 60);
  if (m < 60) return m + 'm';
  var h = Math.floor(m / 60); m %= 60;
  if (h < 48) return h + 'h' + (m ? ' ' + m + 'm' : '');
  var d = Math.floor(h / 24); h %= 24;
  return d + 'd' + (h ? ' ' + h + 'h' : '');
};

V.fmtNum = function (x, digits) {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  if (Number.isInteger(x)) return x.toLocaleString('en-US');
  return x.toLocaleString('en-US', { maximumFractionDigits: digits === undefined ? 1 : digits });
};
V.fmtPct = function (x) {
  return x === null || x === undefined ? '–' : Math.round(x * 100) + '%';
};

/* An event's depth as people read it: outages lose a share of their
 * baseline, instability episodes peak at a robust z score. */
V.fmtDepth = function (ev) {
  if (ev.depth === null || ev.depth === undefined) return '–';
  return ev.kind === 'outage' ? V.fmtPct(ev.depth) : 'z ' + V.fmtNum(ev.depth, 1);
};

/* el('a', {href: '#/', class: 'x'}, 'text', childNode, [more]) */
V.el = function (tag, attrs) {
  var n = document.createElement(tag);
  for (var k in attrs || {}) {
    var v = attrs[k];
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') n.className = v;
    else if (k === 'text') n.textContent = v;
    else if (k.slice(0, 2) === 'on') n.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(n.dataset, v);
    else n.setAttribute(k, v === true ? '' : v);
  }
  for (var i = 2; i < arguments.length; i++) V.append(n, arguments[i]);
  return n;
};
V.append = function (n, c) {
  if (c === null || c === undefined || c === false) return;
  if (Array.isArray(c)) c.forEach(function (x) { V.append(n, x); });
  else n.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
};

/* Entities: 'country:KP', 'asn:131279', 'upstream:KP:4837' */
V.entityParts = function (e) {
  var p = String(e).split(':');
  return { kind: p[0], code: p[0] === 'asn' ? null : p[1], asn: p[0] === 'asn' ? +p[1] : (p[2] ? +p[2] : null) };
};
V.entityShort = function (e) {
  var p = V.entityParts(e);
  if (p.kind === 'country') return p.code;
  if (p.kind === 'asn') return 'AS' + p.asn;
  if (p.kind === 'upstream') return p.code + ' via AS' + p.asn;
  return e;
};
V.entityTitle = function (e, name) {
  var p = V.entityParts(e);
  if (p.kind === 'country') return name || p.code;
  if (p.kind === 'asn') return 'AS' + p.asn + (name ? ' ' + name : '');
  if (p.kind === 'upstream') {
    /* stored names read "AS4837 (CHINA169-BACKBONE ...) upstream of North Korea" */
    var m = /\(([^)\s,]+)/.exec(name || '');
    return p.code + ' via AS' + p.asn + (m ? ' ' + m[1] : '');
  }
  return e;
};
V.entityLink = function (e, name, cls) {
  return V.el('a', { href: '#/entity/' + e, class: cls || 'ent' },
    V.el('span', { class: 'ent-name', text: V.entityTitle(e, name) }),
    V.entityParts(e).kind === 'country' ? V.el('span', { class: 'ent-code', text: e }) : null);
};
V.asLink = function (asn, cc) {
  return V.el('a', { href: '#/entity/asn:' + asn, class: 'asn' }, 'AS' + asn);
};

/* Badge for a status / event level */
V.badge = function (kind, level) {
  var label = kind === 'outage' ? 'outage' : kind === 'instability' || kind === 'unstable' ? 'unstable' : kind;
  return V.el('span', { class: 'badge ' + label + (level ? ' ' + level : '') },
    label + (level ? ' · ' + level : ''));
};

/* '#/entity/country:KP?from=..' → {parts: ['entity', 'country:KP'], q: {from: ..}} */
V.parseHash = function (h) {
  h = (h || '').replace(/^#\/?/, '');
  var qi = h.indexOf('?');
  var path = qi < 0 ? h : h.slice(0, qi);
  var q = {};
  new URLSearchParams(qi < 0 ? '' : h.slice(qi + 1)).forEach(function (v, k) { q[k] = v; });
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), q: q };
};
V.hash = function (path, q) {
  var s = new URLSearchParams();
  for (var k in q || {}) if (q[k] !== null && q[k] !== undefined && q[k] !== '') s.set(k, q[k]);
  return '#/' + path + (s.toString() ? '?' + s : '');
};
