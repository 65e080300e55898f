// HTML rendering: one self-contained page (inline CSS, SVG and script; no network) with the
// sequence diagram as SVG. Hovering an arrow shows the message's details, clicking pins it and
// highlights its causes and effects, and a filter box dims the messages that do not match.

import { existsSync, readFileSync } from 'node:fs';
import { IllegalStateError } from '../../runtime/index.js';
import { fileURLToPath } from 'node:url';
import type { TraceHistory, TraceMessage } from './types.js';
import { formatMs, participantsOf } from './actors.js';

export interface HtmlRenderOptions {
  /** Page title; default "mesos-trace". */
  readonly title?: string;
  /** Lines shown above the diagram, e.g. how many malformed lines were skipped. */
  readonly warnings?: readonly string[];
}

const TIME_WIDTH = 84;
const HEADER_HEIGHT = 44;
const ROW_HEIGHT = 30;
const PAD = 14;
/** Width of one character of the 12px monospace font, to size columns to the names. */
const CHAR_WIDTH = 7.3;
/**
 * Column widths: narrow enough that ten lifelines fit a 1400 px window, wide enough for an
 * 18-character label; a name wider than its arrow is squeezed to fit (SVG textLength), and
 * wider diagrams scroll sideways under the sticky actor header.
 */
const MIN_COL = 104;
const MAX_COL = 130;

/**
 * The causal-chain and filter logic shared with the master's live flow page
 * (webui/flow-core.js), inlined as plain functions so the page stays self-contained.
 */
function flowCore(): string {
  return webuiFile('flow-core.js').replace(/^export /gm, '');
}

/** A file of webui/: beside cli/ in a checkout, one level further up from dist/cli/trace/. */
function webuiFile(name: string): string {
  for (const rel of [`../../webui/${name}`, `../../../webui/${name}`]) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return readFileSync(path, 'utf8');
  }
  throw new IllegalStateError(`webui/${name} is missing from this installation`);
}

export function renderHtml(history: TraceHistory, options: HtmlRenderOptions = {}): string {
  const messages = history.messages;
  const actors = participantsOf(messages);
  const column = new Map(actors.map((a, i) => [a.pid, i]));
  const longest = messages.reduce((w, m) => Math.max(w, m.name.length), 0);
  const longestLabel = actors.reduce((w, a) => Math.max(w, a.label.length), 0);
  const colWidth = Math.max(MIN_COL, Math.min(MAX_COL, Math.ceil(Math.max(longest, longestLabel) * CHAR_WIDTH) + 24));
  const width = TIME_WIDTH + Math.max(1, actors.length) * colWidth + PAD;
  const height = PAD * 2 + messages.length * ROW_HEIGHT;
  const x = (pid: string): number => TIME_WIDTH + column.get(pid)! * colWidth + colWidth / 2;

  const header: string[] = [`<text class="time" x="${TIME_WIDTH - 10}" y="${HEADER_HEIGHT - 16}">ms</text>`];
  const body: string[] = [];
  actors.forEach((a) => {
    const cx = x(a.pid);
    const boxWidth = Math.min(colWidth - 12, a.label.length * CHAR_WIDTH + 20);
    header.push(
      `<g class="actor"><title>${esc(a.pid)}</title>` +
        `<rect x="${num(cx - boxWidth / 2)}" y="6" width="${num(boxWidth)}" height="26" rx="4"/>` +
        `<text x="${num(cx)}" y="23"${squeeze(a.label, boxWidth - 8)}>${esc(a.label)}</text></g>`,
    );
    body.push(`<line class="lifeline" x1="${num(cx)}" y1="0" x2="${num(cx)}" y2="${height}"/>`);
  });

  messages.forEach((m, i) => {
    const top = PAD + i * ROW_HEIGHT;
    body.push(`<text class="time" x="${TIME_WIDTH - 10}" y="${top + 20}">${formatMs(m.at - history.origin)}</text>`);
    body.push(arrowSvg(m, i, x(m.from), x(m.to), top, colWidth));
  });

  const data = {
    origin: history.origin,
    messages: messages.map((m) => detailsOf(m, history.origin)),
  };
  const dropped = messages.filter((m) => m.status === 'dropped').length;
  const summary =
    `${messages.length} message${messages.length === 1 ? '' : 's'} between ${actors.length} actor${actors.length === 1 ? '' : 's'}` +
    (dropped > 0 ? `, ${dropped} dropped` : '') +
    (messages.length > 0 ? `; times in ms since ${new Date(history.origin).toISOString()}` : '');
  const title = options.title ?? 'mesos-trace';

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="icon" href="data:,">
<style>${CSS}${webuiFile('flow.css')}</style>
</head>
<body>
<header>
<h1>${esc(title)}</h1>
<span class="summary">${esc(summary)}</span>
<input id="filter" type="search" placeholder="filter: name, id, pid, framework, task, agent…" aria-label="filter messages">
<span id="count"></span>
${(options.warnings ?? []).map((w) => `<p class="warning">${esc(w)}</p>`).join('\n')}
</header>
<main>
<div class="diagram">
<svg class="actors" width="${width}" height="${HEADER_HEIGHT}" viewBox="0 0 ${width} ${HEADER_HEIGHT}" role="img" aria-label="actors">
${header.join('\n')}
</svg>
<svg class="flow" id="flow" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="messages">
${body.join('\n')}
</svg>
</div>
<aside id="details"><p class="hint">Hover over an arrow to see the message; click to pin it and highlight what caused it and what it caused. Esc clears.</p></aside>
</main>
<script type="application/json" id="trace-data">${jsonForScript(data)}</script>
<script>(function () {
${flowCore()}${SCRIPT}})();</script>
</body>
</html>
`;
}

/** A textLength attribute that squeezes text wider than `room` pixels into it. */
function squeeze(text: string, room: number): string {
  return text.length * CHAR_WIDTH > room ? ` textLength="${num(room)}" lengthAdjust="spacingAndGlyphs"` : '';
}

function arrowSvg(m: TraceMessage, i: number, x1: number, x2: number, top: number, colWidth: number): string {
  const open = `<g class="msg ${m.status}" data-i="${i}" tabindex="0">`;
  const label = esc(m.status === 'dropped' ? `${m.name} ✗ ${m.dropReason ?? 'dropped'}` : m.name);
  if (x1 === x2) {
    // A loop out to the right and back, the name beside it.
    const y = top + 8;
    const d = `M${num(x1)},${y} h30 v12 h-26`;
    return `${open}<path class="hit" d="${d}"/><path class="shaft" d="${d}"/>` +
      `${head(m, x1, y + 12, -1)}<text class="label self" x="${num(x1 + 36)}" y="${y + 11}"${squeeze(labelText(m), colWidth - 40)}>${label}</text></g>`;
  }
  const y = top + 20;
  const dir = x2 > x1 ? 1 : -1;
  const end = x2 - dir * 2;
  return `${open}<line class="hit" x1="${num(x1)}" y1="${y}" x2="${num(x2)}" y2="${y}"/>` +
    `<line class="shaft" x1="${num(x1)}" y1="${y}" x2="${num(end - dir * 8)}" y2="${y}"/>` +
    `${head(m, end, y, dir)}<text class="label" x="${num((x1 + x2) / 2)}" y="${y - 6}"${squeeze(labelText(m), Math.abs(x2 - x1) - 12)}>${label}</text></g>`;
}

function labelText(m: TraceMessage): string {
  return m.status === 'dropped' ? `${m.name} ✗ ${m.dropReason ?? 'dropped'}` : m.name;
}

/** An arrowhead whose tip is at (x, y), pointing in direction dir; a cross for drops. */
function head(m: TraceMessage, x: number, y: number, dir: number): string {
  if (m.status === 'dropped') {
    const cx = x - dir * 5;
    return `<path class="head" d="M${num(cx - 5)},${y - 5} l10,10 m0,-10 l-10,10"/>`;
  }
  return `<polygon class="head" points="${num(x)},${y} ${num(x - dir * 9)},${y - 4.5} ${num(x - dir * 9)},${y + 4.5}"/>`;
}

function detailsOf(m: TraceMessage, origin: number): Record<string, unknown> {
  const d: Record<string, unknown> = {
    id: m.id, cause: m.cause, name: m.name, from: m.from, to: m.to, status: m.status,
    time: formatMs(m.at - origin),
  };
  const optional: [string, unknown][] = [
    ['reason', m.dropReason], ['detail', m.dropDetail], ['bytes', m.bytes], ['sent', m.sentAt], ['received', m.receivedAt],
    ['dropped', m.droppedAt], ['latency', m.latencyMs === undefined ? undefined : formatMs(m.latencyMs)],
    ['framework_id', m.framework_id], ['task_id', m.task_id], ['agent_id', m.agent_id],
  ];
  for (const [k, v] of optional) if (v !== undefined) d[k] = v;
  return d;
}

/** JSON inside <script>: '<' escaped so no '</script>' in the data can end the element. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Coordinates with at most one decimal, so the page is byte-for-byte stable. */
function num(n: number): string {
  return String(Math.round(n * 10) / 10);
}

const CSS = `
:root { font: 14px system-ui, sans-serif; color: #222; background: #fff; }
body { margin: 0; display: flex; flex-direction: column; height: 100vh; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 14px; padding: 8px 14px; border-bottom: 1px solid #ddd; }
h1 { font-size: 16px; margin: 0; }
.summary, #count { color: #666; }
.warning { flex-basis: 100%; margin: 0; color: #a15c00; }
#filter { width: 22em; padding: 3px 6px; font: inherit; }
main { flex: 1; display: flex; min-height: 0; }
.diagram { flex: 1; overflow: auto; }
svg { display: block; }
svg text { font: 12px ui-monospace, Menlo, Consolas, monospace; }
.actors { position: sticky; top: 0; background: #fff; z-index: 1; border-bottom: 1px solid #eee; }
#details { width: 360px; flex: none; overflow: auto; border-left: 1px solid #ddd; padding: 8px 14px; font: 12px ui-monospace, Menlo, Consolas, monospace; }
#details h2 { font-size: 14px; margin: 4px 0 8px; }
#details table { border-collapse: collapse; }
#details th { text-align: left; color: #666; font-weight: normal; padding: 2px 10px 2px 0; vertical-align: top; }
#details td { padding: 2px 0; word-break: break-all; }
#details a { color: #1565c0; cursor: pointer; text-decoration: underline; }
.hint { color: #666; font-family: system-ui, sans-serif; }
`;

// Plain ES2017 with DOM calls only; data goes into the page with textContent, never as markup.
const SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('trace-data').textContent);
  var msgs = data.messages;
  var flow = document.getElementById('flow');
  var details = document.getElementById('details');
  var filter = document.getElementById('filter');
  var count = document.getElementById('count');
  var groups = Array.prototype.slice.call(document.querySelectorAll('#flow g.msg'));
  var idx = indexMessages(msgs);
  var index = idx.index;
  var children = idx.children;
  var pinned = -1;
  var haystack = msgs.map(haystackOf);

  function iso(ts) { return new Date(ts).toISOString(); }
  function rel(ts) { return (Math.round((ts - data.origin) * 1000) / 1000).toFixed(3) + ' ms'; }

  function addRow(table, key, value, target) {
    var tr = document.createElement('tr');
    var th = document.createElement('th');
    var td = document.createElement('td');
    th.textContent = key;
    if (target !== undefined) {
      var a = document.createElement('a');
      a.textContent = value;
      a.addEventListener('click', function () { select(target); });
      td.appendChild(a);
    } else {
      td.textContent = value;
    }
    tr.appendChild(th);
    tr.appendChild(td);
    table.appendChild(tr);
  }

  function show(i) {
    var m = msgs[i];
    details.textContent = '';
    var h = document.createElement('h2');
    h.textContent = m.name;
    details.appendChild(h);
    var table = document.createElement('table');
    addRow(table, 'id', m.id);
    if (m.cause === null) addRow(table, 'cause', '(none: sent outside a handler)');
    else if (index[m.cause] !== undefined) addRow(table, 'cause', m.cause + ' ' + msgs[index[m.cause]].name, index[m.cause]);
    else addRow(table, 'cause', m.cause + ' (not in this view)');
    (children[m.id] || []).forEach(function (j) { addRow(table, 'caused', msgs[j].id + ' ' + msgs[j].name, j); });
    addRow(table, 'from', m.from);
    addRow(table, 'to', m.to);
    addRow(table, 'status', m.status + (m.reason !== undefined ? ' (' + m.reason + ')' : ''));
    if (m.detail !== undefined) addRow(table, 'detail', m.detail);
    addRow(table, 'time', '+' + m.time + ' ms');
    if (m.sent !== undefined) addRow(table, 'sent', iso(m.sent) + ' (' + rel(m.sent) + ')');
    if (m.received !== undefined) addRow(table, 'received', iso(m.received) + ' (' + rel(m.received) + ')');
    if (m.dropped !== undefined) addRow(table, 'dropped', iso(m.dropped) + ' (' + rel(m.dropped) + ')');
    if (m.latency !== undefined) addRow(table, 'latency', m.latency + ' ms' + (Number(m.latency) < 0 ? ' (clocks disagree)' : ''));
    if (m.bytes !== undefined) addRow(table, 'bytes', String(m.bytes));
    ['framework_id', 'task_id', 'agent_id'].forEach(function (k) { if (m[k] !== undefined) addRow(table, k, m[k]); });
    details.appendChild(table);
  }

  function select(i) {
    pinned = i;
    var keep = i < 0 ? {} : causalChain(msgs, idx, i);
    flow.classList.toggle('focus', i >= 0);
    groups.forEach(function (g, k) {
      g.classList.toggle('sel', k === i);
      g.classList.toggle('chain', k !== i && keep[k] === true);
    });
    if (i >= 0) {
      show(i);
      if (groups[i].scrollIntoView) groups[i].scrollIntoView({ block: 'nearest', inline: 'nearest' });
    }
  }

  function applyFilter() {
    var terms = filterTerms(filter.value);
    var shown = 0;
    groups.forEach(function (g, k) {
      var match = matchesTerms(haystack[k], terms);
      g.classList.toggle('dim', !match);
      if (match) shown++;
    });
    count.textContent = terms.length === 0 ? '' : shown + ' of ' + msgs.length + ' match';
  }

  groups.forEach(function (g, k) {
    g.addEventListener('mouseenter', function () { if (pinned < 0) show(k); });
    g.addEventListener('click', function () { select(pinned === k ? -1 : k); });
    g.addEventListener('keydown', function (e) { if (e.key === 'Enter') select(pinned === k ? -1 : k); });
  });
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape') select(-1); });
  filter.addEventListener('input', applyFilter);
})();
`;
