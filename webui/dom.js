// A tiny element builder: every piece of data goes in as text, never as markup.

/** h('a', {href: '#/x', class: 'y'}, 'text', child, [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

const SVG = 'http://www.w3.org/2000/svg';
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children) if (c !== undefined && c !== null) el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** A table with a header row; rows are arrays of cells (strings or nodes). */
export function table(caption, headers, rows, attrs) {
  return h('div', { class: 'scroll' },
    h('table', attrs || {},
      caption ? h('caption', {}, caption) : null,
      h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows.length === 0 ? h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, 'none')) : rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c)))))));
}

export function time(secs) {
  if (!secs) return '';
  const d = new Date(secs * 1000);
  return h('time', { datetime: d.toISOString(), title: d.toISOString() }, d.toLocaleString());
}

export function ago(secs) {
  if (!secs) return '';
  const s = Math.max(0, Math.round(Date.now() / 1000 - secs));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

export function mb(n) {
  if (n === undefined) return '';
  return n >= 1024 ? `${(n / 1024).toFixed(1)} GB` : `${Math.round(n)} MB`;
}

/** cpus, mem, disk (and gpus when any) of a v0 resources object, as short text. */
export function res(r) {
  if (!r) return '';
  const parts = [`${round(r.cpus || 0)} cpus`, `${mb(r.mem || 0)} mem`, `${mb(r.disk || 0)} disk`];
  if (r.gpus) parts.push(`${r.gpus} gpus`);
  if (typeof r.ports === 'string' && r.ports !== '') parts.push(`ports ${r.ports}`);
  return parts.join(', ');
}

export function round(n) {
  return Math.round(n * 100) / 100;
}

export function stateBadge(state) {
  const short = String(state || '').replace(/^TASK_/, '');
  return h('span', { class: `badge st-${short.toLowerCase()}` }, short);
}
