// overflowd receiver's page: reads /api/* and builds the DOM. Every value from a tracer is a
// stranger's: it only ever reaches the page as textContent or an attribute set through the DOM,
// never as markup.
'use strict';

const SVGNS = 'http://www.w3.org/2000/svg';
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#9c9c9c'];
const GROUPS = 7; // the groups a plot shows; the rest are "other"

function $(id) { return document.getElementById(id); }

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const k of Object.keys(attrs || {})) e.setAttribute(k, String(attrs[k]));
  if (text !== undefined) e.textContent = String(text);
  return e;
}

async function getJSON(path) {
  const r = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });
  if (!r.ok) throw new Error(path + ': ' + r.status + ' ' + (await r.text()).trim());
  return r.json();
}

function shortKey(k) { return typeof k === 'string' && k.length > 16 ? k.slice(0, 16) + '\u2026' : k; }

// A key as a button that shows its history.
function keyCell(td, key) {
  if (typeof key !== 'string') return;
  const b = el('button', shortKey(key), 'key');
  b.type = 'button';
  b.title = key;
  b.addEventListener('click', () => showKey(key).then(() => $('key-detail').scrollIntoView()));
  td.appendChild(b);
}

// Fill table tbl: cols are [field, heading, kind] with kind 'num', 'text', 'key' or ''.
function fillTable(tbl, cols, rows) {
  tbl.replaceChildren();
  const thead = el('thead');
  const hr = el('tr');
  for (const c of cols) hr.appendChild(el('th', c[1]));
  thead.appendChild(hr);
  const tbody = el('tbody');
  for (const row of rows) {
    const tr = el('tr');
    for (const c of cols) {
      const v = row[c[0]];
      const td = el('td', null, c[2] === 'num' ? 'num' : c[2] === 'text' ? 'text' : '');
      if (c[2] === 'key') keyCell(td, v);
      else td.textContent = v === null || v === undefined ? '-' : String(v);
      tr.appendChild(td);
    }
    tbody.appendChild(tr);
  }
  tbl.appendChild(thead);
  tbl.appendChild(tbody);
}

// The page's own filters: its query string, passed on to the endpoints.
function filters() {
  const p = new URLSearchParams(location.search);
  const out = new URLSearchParams();
  for (const n of ['class', 'key', 'net', 'since', 'limit', 'mine']) {
    const v = p.get(n);
    if (v) {
      out.set(n, v);
      const input = $('f-' + n);
      if (input && input.type === 'checkbox') input.checked = v === '1';
      else if (input) input.value = v;
    }
  }
  return out;
}

const TRACER_COLS = [
  ['received', 'received'], ['sender', 'sender'], ['transport', 'via'], ['key', 'key', 'key'],
  ['class', 'class'], ['saddr', 'source'], ['sport', 'sport', 'num'], ['daddr', 'destination'],
  ['dport', 'dport', 'num'], ['proto', 'proto', 'num'], ['packets', 'packets', 'num'],
  ['bytes', 'bytes', 'num'], ['stime', 'flow start'], ['exporter', 'exporter'],
  ['duplicates', 'dups', 'num'], ['info', 'info', 'text'], ['contact', 'contact', 'text'],
];

async function loadTracers(f) {
  const d = await getJSON('/api/tracers?' + f.toString());
  fillTable($('tracer-table'), TRACER_COLS, d.rows);
  $('tracer-note').textContent = d.rows.length + ' tracers, newest first' +
    (d.truncated ? ' (the newest ' + d.limit + '; more match)' : '');
  return d.rows.length;
}

const KEY_COLS = [
  ['key', 'key', 'key'], ['first_seen', 'first seen'], ['last_seen', 'last seen'],
  ['tracers', 'tracers', 'num'], ['duplicates', 'dups', 'num'], ['networks', 'networks', 'num'],
  ['contacts', 'contacts', 'num'], ['contact_changed', 'contact changes', 'num'],
  ['contact', 'last contact', 'text'],
];

async function loadKeys() {
  const d = await getJSON('/api/keys');
  fillTable($('key-table'), KEY_COLS, d.rows);
  return d.rows.length;
}

async function showKey(key) {
  const box = $('key-detail');
  box.replaceChildren(el('p', 'loading ' + shortKey(key), 'note'));
  try {
    const d = await getJSON('/api/key?key=' + encodeURIComponent(key));
    const h = el('h3', 'key ');
    h.appendChild(el('span', d.key, 'key'));
    const nets = el('table');
    nets.id = 'key-networks';
    fillTable(nets, [['network', 'reporting network'], ['first_seen', 'first seen'], ['last_seen', 'last seen'],
      ['tracers', 'tracers', 'num'], ['tcp_tracers', 'over HTTP(S)', 'num']], d.networks);
    const contacts = el('table');
    contacts.id = 'key-contacts';
    fillTable(contacts, [['contact', 'contact', 'text'], ['first_seen', 'first seen'], ['last_seen', 'last seen'],
      ['tracers', 'tracers', 'num']], d.contacts);
    box.replaceChildren(h, el('h3', 'networks it reported from'), nets,
      el('h3', 'contacts it gave (' + d.contacts.length + ')'), contacts);
  } catch (e) {
    box.replaceChildren(el('p', String(e.message), 'bad'));
  }
}

const SPOOF_COLS = [
  ['key', 'reporting key', 'key'], ['network', 'reporting network'], ['transport', 'via'],
  ['tracers', 'tracers', 'num'], ['duplicates', 'dups', 'num'], ['packets', 'packets', 'num'],
  ['bytes', 'bytes', 'num'], ['first', 'first flow'], ['last', 'last flow'], ['contact', 'contact', 'text'],
];

async function loadSpoofing() {
  const d = await getJSON('/api/spoofing');
  if (!d.mine.length) {
    $('mine').textContent = 'No prefixes of mine configured (overflowd receive --mine PREFIX).';
    $('spoof-table').replaceChildren();
    return 0;
  }
  $('mine').textContent = 'Tracers about flows whose source claims one of ' + d.mine.join(', ') +
    ', by reporting key and network: ' + d.rows.length + ' rows' + (d.truncated ? ' (more match)' : '') + '.';
  fillTable($('spoof-table'), SPOOF_COLS, d.rows);
  return d.rows.length;
}

// Stacked bars of tracers per hour, one colour per group (the GROUPS largest, then "other").
function plot(box, d, field) {
  box.replaceChildren();
  const totals = new Map();
  for (const r of d.rows) totals.set(r[field], (totals.get(r[field]) || 0) + r.tracers);
  const ranked = [...totals.entries()].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])));
  const named = ranked.slice(0, ranked.length > GROUPS + 1 ? GROUPS : GROUPS + 1).map((e) => e[0]);
  const groupOf = (g) => (named.includes(g) ? named.indexOf(g) : named.length);
  const start = Math.floor(Date.parse(d.since) / 3600e3);
  const now = Math.floor(Date.now() / 3600e3);
  let first = start, last = now;
  for (const r of d.rows) {
    const hr = Math.floor(Date.parse(r.hour) / 3600e3);
    first = Math.min(first, hr);
    last = Math.max(last, hr);
  }
  const hours = Math.max(1, last - first + 1);
  const stacks = Array.from({ length: hours }, () => new Array(named.length + 1).fill(0));
  for (const r of d.rows) {
    const i = Math.floor(Date.parse(r.hour) / 3600e3) - first;
    stacks[i][groupOf(r[field])] += r.tracers;
  }
  const max = Math.max(1, ...stacks.map((s) => s.reduce((a, b) => a + b, 0)));
  const W = 560, H = 200, L = 40, B = 22, T = 8;
  const bw = (W - L - 6) / hours;
  const s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'tracers per hour by ' + field });
  s.appendChild(svg('line', { x1: L, y1: T, x2: L, y2: H - B, stroke: '#888' }));
  s.appendChild(svg('line', { x1: L, y1: H - B, x2: W - 4, y2: H - B, stroke: '#888' }));
  s.appendChild(svg('text', { x: L - 4, y: T + 8, 'text-anchor': 'end' }, max));
  s.appendChild(svg('text', { x: L - 4, y: H - B, 'text-anchor': 'end' }, 0));
  const step = Math.max(1, Math.ceil(hours / 8));
  for (let i = 0; i < hours; i++) {
    let y = H - B;
    const when = new Date((first + i) * 3600e3).toISOString().slice(0, 13).replace('T', ' ') + 'h';
    stacks[i].forEach((n, g) => {
      if (!n) return;
      const h = ((H - B - T) * n) / max;
      y -= h;
      const rect = svg('rect', { x: L + i * bw + 1, y: y, width: Math.max(1, bw - 2), height: h, fill: PALETTE[g % PALETTE.length], class: 'bar' });
      rect.appendChild(svg('title', {}, when + ': ' + (g < named.length ? named[g] : 'other') + ' ' + n));
      s.appendChild(rect);
    });
    if (i % step === 0) s.appendChild(svg('text', { x: L + i * bw + 1, y: H - 6 }, when.slice(5)));
  }
  box.appendChild(s);
  const legend = el('div', null, 'legend');
  const shown = named.concat(ranked.length > named.length ? ['other'] : []);
  shown.forEach((g, i) => {
    const item = el('span');
    item.appendChild(el('span', null, 'swatch c' + (i % PALETTE.length)));
    item.appendChild(document.createTextNode((g === null ? '-' : String(g)) + ' (' + (i < named.length ? totals.get(g) : ranked.slice(named.length).reduce((a, e) => a + e[1], 0)) + ')'));
    legend.appendChild(item);
  });
  if (!d.rows.length) legend.appendChild(el('span', 'no tracers since ' + d.since, 'note'));
  box.appendChild(legend);
}

async function loadPlots(f) {
  const p = new URLSearchParams(f);
  p.delete('limit');
  const [net, cls] = await Promise.all([getJSON('/api/hourly?by=network&' + p), getJSON('/api/hourly?by=class&' + p)]);
  plot($('plot-network'), net, 'network');
  plot($('plot-class'), cls, 'class');
}

async function main() {
  const state = $('state');
  const f = filters();
  state.textContent = 'loading\u2026';
  try {
    const [n] = await Promise.all([loadTracers(f), loadKeys(), loadSpoofing(), loadPlots(f)]);
    state.textContent = 'loaded ' + new Date().toISOString().slice(0, 19).replace('T', ' ') + ' UTC: ' + n + ' tracers shown';
    const key = f.get('key');
    if (key && key.length === 64) await showKey(key); // a page filtered on one key shows its history
    document.title = 'overflowd receiver: ' + n + ' tracers';
    document.body.dataset.ready = '1';
  } catch (e) {
    state.textContent = 'error: ' + e.message;
    state.classList.add('error');
    document.body.dataset.ready = 'error';
  }
}

document.addEventListener('DOMContentLoaded', main);
