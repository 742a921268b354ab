// overflowd pipeline's status page: polls /api/status (the /metrics families as JSON) and shows
// the segments' counters with rates, the drops by reason, and the decoders' exporter, template
// and sampling state. Values only ever reach the page as textContent.
'use strict';

const REFRESH_MS = 2000;
let previous = null; // the last answer, for rates

function $(id) { return document.getElementById(id); }

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function fillTable(tbl, heads, rows, numeric) {
  tbl.replaceChildren();
  const thead = el('thead');
  const hr = el('tr');
  for (const h of heads) hr.appendChild(el('th', h));
  thead.appendChild(hr);
  const tbody = el('tbody');
  for (const row of rows) {
    const tr = el('tr');
    row.forEach((v, i) => tr.appendChild(el('td', v === null || v === undefined ? '-' : v, numeric[i] ? 'num' : '')));
    tbody.appendChild(tr);
  }
  tbl.append(thead, tbody);
}

function family(d, name) { return d.families.find((f) => f.name === name); }

function labelText(labels, skip) {
  return Object.keys(labels).filter((k) => !skip.includes(k)).map((k) => k + '=' + labels[k]).join(', ');
}

function fmtNum(v) { return v === null ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(1); }

// value of family name for segment seg, or null
function segValue(d, name, seg) {
  const f = family(d, name);
  if (!f) return null;
  const s = f.samples.find((x) => x.labels.segment === seg);
  return s ? s.value : null;
}

function rate(d, name, seg) {
  if (!previous) return null;
  const a = segValue(previous, name, seg), b = segValue(d, name, seg);
  const dt = (d.time_ms - previous.time_ms) / 1000;
  return a === null || b === null || dt <= 0 ? null : (b - a) / dt;
}

function showSegments(d) {
  const segs = [];
  for (const n of ['overflowd_segment_records_out_total', 'overflowd_segment_records_in_total']) {
    const f = family(d, n);
    if (f) for (const s of f.samples) if (!segs.includes(s.labels.segment)) segs.push(s.labels.segment);
  }
  const rows = segs.map((seg) => [seg,
    fmtNum(segValue(d, 'overflowd_segment_records_in_total', seg)),
    fmtNum(segValue(d, 'overflowd_segment_records_out_total', seg)),
    fmtNum(segValue(d, 'overflowd_segment_dropped_total', seg)),
    fmtNum(rate(d, 'overflowd_segment_records_in_total', seg)),
    fmtNum(rate(d, 'overflowd_segment_records_out_total', seg)),
  ]);
  fillTable($('segment-table'), ['segment', 'in', 'out', 'dropped', 'in/s', 'out/s'], rows, [0, 1, 1, 1, 1, 1]);
  return segs.length;
}

function showDrops(d) {
  const rows = [];
  for (const f of d.families) {
    if (!/drop|refus/.test(f.name) || f.name === 'overflowd_segment_dropped_total') continue;
    for (const s of f.samples) {
      if (!s.value) continue;
      rows.push([f.name.replace(/^overflowd_/, ''), s.labels.segment || '', s.labels.reason || labelText(s.labels, ['segment']), fmtNum(s.value)]);
    }
  }
  fillTable($('drop-table'), ['counter', 'segment', 'reason', 'count'], rows, [0, 0, 0, 1]);
  if (!rows.length) $('drop-table').appendChild(el('caption', 'no drops'));
  return rows.length;
}

function showExporters(d) {
  const rows = [];
  for (const f of d.families) {
    if (!/exporter|template|sampl/.test(f.name)) continue;
    for (const s of f.samples) {
      rows.push([f.name.replace(/^overflowd_/, ''), s.labels.segment || '', labelText(s.labels, ['segment']), fmtNum(s.value), f.help]);
    }
  }
  fillTable($('exporter-table'), ['state', 'segment', 'labels', 'value', 'meaning'], rows, [0, 0, 0, 1, 0]);
  return rows.length;
}

async function refresh() {
  const state = $('state');
  try {
    const r = await fetch('/api/status', { cache: 'no-store' });
    if (!r.ok) throw new Error('/api/status: ' + r.status);
    const d = await r.json();
    const n = showSegments(d);
    showDrops(d);
    showExporters(d);
    previous = d;
    state.textContent = 'updated ' + new Date(d.time_ms).toISOString().slice(0, 19).replace('T', ' ') + ' UTC';
    state.classList.remove('error');
    document.title = 'overflowd status: ' + n + ' segments';
    document.body.dataset.ready = '1';
  } catch (e) {
    state.textContent = 'error: ' + e.message;
    state.classList.add('error');
  }
  setTimeout(refresh, REFRESH_MS);
}

document.addEventListener('DOMContentLoaded', refresh);
