// The live message flow: the sequence diagram of what the master's runtime sends and receives,
// drawn as it happens from /webui/events?flow=1. Lifelines shrink to fit the window (and the
// diagram scrolls sideways under a sticky header when they cannot), filters narrow it by
// framework, task, agent and message name, "follow a task" keeps the messages of one task and
// their causes and effects, and clicking an arrow highlights its causal chain with the same
// logic as mesos-trace's HTML pages (flow-core.js). Pausing keeps drawing nothing new but still
// keeps the last N messages, which are drawn on resume.

import { h, s } from './dom.js';
import { indexMessages, causalChain, haystackOf, filterTerms, matchesTerms, columnWidth } from './flow-core.js';

const KEEP = 1000;
const ROW = 26;
const HEADER = 40;
const TIME_W = 70;

export function flowPage() {
  const msgs = [];
  const byId = new Map();
  let paused = false;
  let droppedByServer = 0;
  let selected = null;
  let es;
  let scheduled = false;
  const ui = { text: '', framework: '', task: '', agent: '', name: '', follow: '', timers: false };

  const count = h('span', { id: 'flow-count', class: 'hint', 'aria-live': 'polite' }, '');
  const pauseBtn = h('button', { type: 'button', id: 'flow-pause', onclick: () => { paused = !paused; pauseBtn.textContent = paused ? 'Resume' : 'Pause'; pauseBtn.setAttribute('aria-pressed', String(paused)); if (!paused) redraw(); } }, 'Pause');
  const input = (key, label, list) => h('label', {}, label, ' ', h('input', { type: 'search', 'data-filter': key, list, size: 14, oninput: (e) => { ui[key] = e.target.value.trim(); redraw(); } }));
  const lists = { framework: h('datalist', { id: 'dl-framework' }), task: h('datalist', { id: 'dl-task' }), agent: h('datalist', { id: 'dl-agent' }), name: h('datalist', { id: 'dl-name' }) };
  const followSel = h('select', { id: 'flow-follow', onchange: (e) => { ui.follow = e.target.value; redraw(); } }, h('option', { value: '' }, '—'));
  const header = h('div', { class: 'flow-header', 'aria-hidden': 'true' });
  const body = h('div', { class: 'flow-body' });
  const scroller = h('div', { class: 'flow-scroll', id: 'flow-diagram', tabindex: '0', 'aria-label': 'message sequence diagram' }, header, body);
  const details = h('aside', { class: 'flow-details', id: 'flow-details', 'aria-live': 'polite' }, h('p', { class: 'hint' }, 'Click an arrow to see the message and highlight what caused it and what it caused. Esc clears.'));
  const root = h('section', { class: 'flow' },
    h('h1', {}, 'Message flow ', h('span', { class: 'hint' }, '(live, as the master sees it)')),
    h('form', { class: 'controls', role: 'search', onsubmit: (e) => e.preventDefault() },
      input('text', 'Find', undefined), input('framework', 'Framework', 'dl-framework'), input('task', 'Task', 'dl-task'),
      input('agent', 'Agent', 'dl-agent'), input('name', 'Message', 'dl-name'),
      h('label', {}, 'Follow task ', followSel),
      h('label', {}, h('input', { type: 'checkbox', id: 'flow-timers', onchange: (e) => { ui.timers = e.target.checked; redraw(); } }), ' timers'), pauseBtn,
      h('button', { type: 'button', onclick: () => { msgs.length = 0; byId.clear(); selected = null; redraw(); } }, 'Clear'),
      count, Object.values(lists)),
    h('div', { class: 'flow-main' }, scroller, details));

  const seen = { framework: new Set(), task: new Set(), agent: new Set(), name: new Set() };
  function learn(key, value) {
    if (!value || seen[key].has(value)) return;
    seen[key].add(value);
    lists[key].appendChild(h('option', { value }));
    if (key === 'task') followSel.appendChild(h('option', { value }, value));
  }

  function onEvent(ev) {
    let m = byId.get(ev.id);
    if (!m) {
      m = { id: ev.id, cause: ev.cause, name: ev.name, from: ev.from, to: ev.to, ts: ev.ts, status: 'sent', framework_id: ev.framework_id, task_id: ev.task_id, agent_id: ev.agent_id, bytes: ev.bytes };
      byId.set(ev.id, m);
      msgs.push(m);
      if (msgs.length > KEEP) byId.delete(msgs.shift().id);
    }
    if (ev.dir === 'recv' && m.status !== 'dropped') m.status = 'delivered';
    if (ev.dir === 'drop') {
      m.status = 'dropped';
      m.reason = ev.reason;
    }
    learn('framework', ev.framework_id);
    learn('task', ev.task_id);
    learn('agent', ev.agent_id);
    learn('name', ev.name);
    if (!paused && !scheduled) {
      scheduled = true;
      requestAnimationFrame(() => {
        scheduled = false;
        redraw();
      });
    }
  }

  function visible() {
    const terms = filterTerms(ui.text);
    // Timer messages (`_Allocation`, `_OfferTimeout`, …) tick all the time; shown on request.
    let list = msgs.filter((m) =>
      (ui.timers || !m.name.startsWith('_')) &&
      (!ui.framework || (m.framework_id || '').includes(ui.framework)) &&
      (!ui.task || (m.task_id || '').includes(ui.task)) &&
      (!ui.agent || (m.agent_id || '').includes(ui.agent)) &&
      (!ui.name || m.name.toLowerCase().includes(ui.name.toLowerCase())) &&
      (terms.length === 0 || matchesTerms(haystackOf(m), terms)));
    if (ui.follow) {
      // One task from its launch to its last acknowledgement: its own messages, and what caused them.
      const idx = indexMessages(list);
      const keep = {};
      list.forEach((m, i) => {
        if (m.task_id !== ui.follow) return;
        keep[i] = true;
        let j = m.cause == null ? undefined : idx.index[m.cause];
        while (j !== undefined && !keep[j]) {
          keep[j] = true;
          j = list[j].cause == null ? undefined : idx.index[list[j].cause];
        }
      });
      list = list.filter((_, i) => keep[i]);
    }
    return list;
  }

  function label(pid) {
    const at = pid.lastIndexOf('@');
    const id = at < 0 ? pid : pid.slice(0, at);
    const port = at < 0 ? '' : pid.slice(pid.lastIndexOf(':') + 1);
    const short = id.length > 16 ? `${id.slice(0, 15)}…` : id;
    return `${short}${port ? `@:${port}` : ''}`;
  }

  function redraw() {
    if (paused && scheduled) return;
    const list = visible();
    const actors = [];
    const col = new Map();
    for (const m of list) for (const p of [m.from, m.to]) if (!col.has(p)) { col.set(p, actors.length); actors.push(p); }
    const avail = Math.max(320, scroller.clientWidth - TIME_W - 8);
    const cw = columnWidth(avail, actors.length, 96, 190);
    const width = TIME_W + actors.length * cw + 8;
    const height = Math.max(ROW, list.length * ROW + 10);
    const x = (p) => TIME_W + col.get(p) * cw + cw / 2;
    const maxChars = Math.floor((cw - 12) / 7);
    const fit = (t, n) => (t.length > n ? `${t.slice(0, Math.max(1, n - 1))}…` : t);

    const hs = s('svg', { width, height: HEADER, viewBox: `0 0 ${width} ${HEADER}` });
    actors.forEach((p) => {
      const l = fit(label(p), maxChars);
      hs.appendChild(s('g', { class: 'actor' }, s('title', {}, p), s('rect', { x: x(p) - cw / 2 + 4, y: 6, width: cw - 8, height: 26, rx: 4 }), s('text', { x: x(p), y: 23 }, l)));
    });
    header.replaceChildren(hs);

    const svg = s('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: selected !== null ? 'focus' : '', role: 'img', 'aria-label': `${list.length} messages` });
    actors.forEach((p) => svg.appendChild(s('line', { class: 'lifeline', x1: x(p), y1: 0, x2: x(p), y2: height })));
    const idx = indexMessages(list);
    const selIndex = selected === null ? undefined : idx.index[selected];
    const chain = selIndex === undefined ? {} : causalChain(list, idx, selIndex);
    const origin = list.length ? list[0].ts : 0;
    list.forEach((m, i) => {
      const y = i * ROW + 18;
      const x1 = x(m.from), x2 = x(m.to);
      const cls = `msg ${m.status}${i === selIndex ? ' sel' : chain[i] ? ' chain' : ''}`;
      const g = s('g', { class: cls, tabindex: '0', 'data-id': m.id, 'data-name': m.name, 'data-task': m.task_id || '' });
      g.appendChild(s('title', {}, `${m.name} ${m.from} → ${m.to}`));
      svg.appendChild(s('text', { class: 'time', x: TIME_W - 8, y: y + 4 }, ((m.ts - origin) / 1000).toFixed(3)));
      const text = m.status === 'dropped' ? `${m.name} ✗ ${m.reason || ''}` : m.name;
      if (x1 === x2) {
        const d = `M${x1},${y - 6} h24 v10 h-20`;
        g.append(s('path', { class: 'hit', d }), s('path', { class: 'shaft', d }), s('polygon', { class: 'head', points: `${x1},${y + 4} ${x1 + 8},${y} ${x1 + 8},${y + 8}` }),
          s('text', { class: 'label self', x: x1 + 28, y: y + 2 }, fit(text, maxChars)));
      } else {
        const dir = x2 > x1 ? 1 : -1;
        const span = Math.abs(x2 - x1);
        g.append(s('line', { class: 'hit', x1, y1: y, x2, y2: y }), s('line', { class: 'shaft', x1, y1: y, x2: x2 - dir * 9, y2: y }),
          s('polygon', { class: 'head', points: `${x2},${y} ${x2 - dir * 9},${y - 4.5} ${x2 - dir * 9},${y + 4.5}` }),
          s('text', { class: 'label', x: (x1 + x2) / 2, y: y - 5 }, fit(text, Math.floor(span / 7))));
      }
      g.addEventListener('click', () => select(m.id === selected ? null : m.id));
      g.addEventListener('keydown', (e) => { if (e.key === 'Enter') select(m.id === selected ? null : m.id); });
      svg.appendChild(g);
    });
    const stick = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - ROW * 2;
    body.replaceChildren(svg);
    if (stick && !paused) scroller.scrollTop = scroller.scrollHeight;
    count.textContent = `${list.length} of ${msgs.length} kept (last ${KEEP})${droppedByServer ? `; ${droppedByServer} dropped by the master while this page fell behind` : ''}${paused ? ' · paused' : ''}`;
    if (selected !== null) showDetails(byId.get(selected), list, idx);
  }

  function select(id) {
    selected = id;
    redraw();
    if (id === null) details.replaceChildren(h('p', { class: 'hint' }, 'Click an arrow to see the message.'));
  }

  function showDetails(m, list, idx) {
    if (!m) return;
    const rows = [['id', m.id], ['name', m.name], ['from', m.from], ['to', m.to], ['status', m.status + (m.reason ? ` (${m.reason})` : '')], ['bytes', m.bytes],
      ['framework', m.framework_id], ['task', m.task_id], ['agent', m.agent_id], ['time', new Date(m.ts).toISOString()]];
    const cause = m.cause == null ? '(none: sent outside a handler)' : byId.has(m.cause) ? h('a', { href: '#/flow', onclick: (e) => { e.preventDefault(); select(m.cause); } }, `${m.cause} ${byId.get(m.cause).name}`) : `${m.cause} (not kept)`;
    const caused = (idx.children[m.id] || []).map((i) => h('div', {}, h('a', { href: '#/flow', onclick: (e) => { e.preventDefault(); select(list[i].id); } }, `${list[i].id} ${list[i].name}`)));
    details.replaceChildren(h('h2', {}, m.name), h('dl', { class: 'kv' },
      rows.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))]),
      h('dt', {}, 'cause'), h('dd', {}, cause), h('dt', {}, 'caused'), h('dd', {}, caused.length ? caused : 'nothing (yet)')),
      m.task_id ? h('button', { type: 'button', onclick: () => { ui.follow = m.task_id; followSel.value = m.task_id; redraw(); } }, `Follow task ${m.task_id}`) : null);
  }

  const onKey = (e) => { if (e.key === 'Escape') select(null); };
  const onResize = () => redraw();
  return {
    title: 'Message flow',
    needsState: false,
    update(main) {
      if (root.isConnected) return;
      main.textContent = '';
      main.appendChild(root);
      document.addEventListener('keydown', onKey);
      window.addEventListener('resize', onResize);
      es = new EventSource('/webui/events?flow=1');
      es.addEventListener('message', (e) => onEvent(JSON.parse(e.data)));
      es.addEventListener('dropped', (e) => { droppedByServer += Number(e.data) || 0; });
      redraw();
    },
    leave() {
      es?.close();
      document.removeEventListener('keydown', onKey);
      window.removeEventListener('resize', onResize);
    },
  };
}
