// The pages over the master's /state and /roles: overview, frameworks, agents, tasks, roles,
// offers and the sandbox browser. Each page is { title, update(main, store), leave? }; update
// runs whenever the state is refetched, so a page keeps its own controls (filters, sort order)
// and redraws only what depends on the state.

import { h, table, time, ago, res, mb, round, stateBadge } from './dom.js';

const TASK_STATES = ['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_UNREACHABLE', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR', 'TASK_UNKNOWN'];
const SCALARS = ['cpus', 'mem', 'disk', 'gpus'];

// ------------------------------------------------------------------ helpers over /state

export function frameworksOf(state) {
  return [
    ...state.frameworks.map((f) => ({ ...f, status: f.active ? 'active' : 'inactive' })),
    ...state.completed_frameworks.map((f) => ({ ...f, status: 'completed' })),
  ];
}

export function tasksOf(state) {
  const out = [];
  for (const f of frameworksOf(state)) {
    for (const list of ['tasks', 'unreachable_tasks', 'completed_tasks']) {
      for (const t of f[list] || []) out.push({ ...t, framework_name: f.name });
    }
  }
  for (const t of state.orphan_tasks || []) out.push({ ...t, framework_name: '(orphan)' });
  return out;
}

function sum(list, key) {
  const total = {};
  for (const item of list) {
    for (const k of SCALARS) total[k] = (total[k] || 0) + ((item[key] || {})[k] || 0);
  }
  return total;
}

function started(t) {
  return t.statuses && t.statuses.length ? t.statuses[0].timestamp : undefined;
}
function lastUpdate(t) {
  return t.statuses && t.statuses.length ? t.statuses[t.statuses.length - 1].timestamp : undefined;
}
function health(t) {
  const last = t.statuses && t.statuses[t.statuses.length - 1];
  if (!last || last.healthy === undefined) return '';
  return last.healthy ? 'healthy' : 'unhealthy';
}

const fwLink = (id, name) => h('a', { href: `#/frameworks/${encodeURIComponent(id)}` }, name || id);
const agentLink = (state, id) => {
  const a = state.slaves.find((s) => s.id === id);
  return h('a', { href: `#/agents/${encodeURIComponent(id)}`, title: id }, a ? `${a.hostname}:${a.port}` : id);
};
const sandboxLink = (t) =>
  t.slave_id ? h('a', { href: `#/sandbox?agent=${encodeURIComponent(t.slave_id)}&framework=${encodeURIComponent(t.framework_id)}&task=${encodeURIComponent(t.id)}` }, 'sandbox') : '';

function bar(label, used, total, unit) {
  const pct = total > 0 ? Math.min(100, (used / total) * 100) : 0;
  const text = unit === 'MB' ? `${mb(used)} of ${mb(total)}` : `${round(used)} of ${round(total)}`;
  return h('div', { class: 'bar-row' },
    h('span', { class: 'bar-label' }, label),
    h('span', { class: 'bar', role: 'img', 'aria-label': `${label}: ${text} (${Math.round(pct)}%)` }, h('span', { class: 'fill', style: `width:${pct.toFixed(1)}%` })),
    h('span', { class: 'bar-text' }, text));
}

function page(title, draw, extra) {
  return {
    title,
    ...extra,
    update(main, store) {
      main.textContent = '';
      main.appendChild(h('section', {}, draw(store)));
    },
  };
}

function kv(rows) {
  return h('dl', { class: 'kv' }, rows.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v === undefined || v === '' ? '—' : v)]));
}

// ------------------------------------------------------------------ overview

function overview() {
  return page('Overview', ({ state }) => {
    const tasks = tasksOf(state);
    const byState = {};
    for (const t of tasks) byState[t.state] = (byState[t.state] || 0) + 1;
    const total = sum(state.slaves, 'resources');
    const used = sum(state.slaves, 'used_resources');
    const offered = sum(state.slaves, 'offered_resources');
    const name = state.cluster || (state.flags && state.flags.cluster) || '(unnamed)';
    return [
      h('h1', {}, 'Cluster ', h('span', { id: 'cluster-name' }, name)),
      h('div', { class: 'cards' },
        h('div', { class: 'card' }, h('h2', {}, 'Master'),
          kv([
            ['Leader', h('code', {}, state.leader || state.pid)],
            ['Version', state.version],
            ['Started', time(state.start_time)],
            ['Uptime', ago(state.start_time)],
            ['Hostname', state.hostname],
          ])),
        h('div', { class: 'card' }, h('h2', {}, 'Agents'),
          kv([
            ['Active', h('a', { href: '#/agents', id: 'agents-active' }, String(state.activated_slaves))],
            ['Deactivated', String(state.deactivated_slaves)],
            ['Unreachable', String(state.unreachable_slaves)],
            ['Recovered, not back yet', String((state.recovered_slaves || []).length)],
          ])),
        h('div', { class: 'card' }, h('h2', {}, 'Frameworks'),
          kv([
            ['Active', String(state.frameworks.filter((f) => f.active).length)],
            ['Inactive', String(state.frameworks.filter((f) => !f.active).length)],
            ['Completed', String(state.completed_frameworks.length)],
          ])),
        h('div', { class: 'card' }, h('h2', {}, 'Tasks'),
          Object.keys(byState).length === 0 ? h('p', {}, 'No tasks yet.') :
            kv(TASK_STATES.filter((s) => byState[s]).map((s) => [stateBadge(s), h('a', { href: `#/tasks?state=${s}` }, String(byState[s]))])))),
      h('h2', {}, 'Resources'),
      table('', ['', 'total', 'allocated', 'offered', 'idle'],
        SCALARS.filter((k) => k !== 'gpus' || total.gpus).map((k) => {
          const f = k === 'cpus' || k === 'gpus' ? round : mb;
          return [k, f(total[k] || 0), f(used[k] || 0), f(offered[k] || 0), f(Math.max(0, (total[k] || 0) - (used[k] || 0) - (offered[k] || 0)))];
        }), { id: 'resources' }),
      h('div', { class: 'bars' },
        ['cpus', 'mem', 'disk'].map((k) => [
          bar(`${k} allocated`, used[k] || 0, total[k] || 0, k === 'cpus' ? '' : 'MB'),
          bar(`${k} offered`, offered[k] || 0, total[k] || 0, k === 'cpus' ? '' : 'MB'),
        ])),
    ];
  }, { ticks: true });
}

// ------------------------------------------------------------------ frameworks

function frameworkRows(state, list) {
  return list.map((f) => [
    fwLink(f.id, f.name), h('code', {}, f.id), f.role || (f.roles || []).join(', '), f.principal || '', f.user, f.status,
    String((f.tasks || []).length), res(f.used_resources), res(f.offered_resources), time(f.registered_time),
  ]);
}

function frameworks(r) {
  if (r.arg) return frameworkDetail(r.arg);
  return page('Frameworks', ({ state }) => {
    const all = frameworksOf(state);
    const head = ['name', 'id', 'role', 'principal', 'user', 'state', 'tasks', 'allocated', 'offered', 'registered'];
    return [
      h('h1', {}, 'Frameworks'),
      table('Active', head, frameworkRows(state, all.filter((f) => f.status === 'active')), { id: 'frameworks-active' }),
      table('Inactive', head, frameworkRows(state, all.filter((f) => f.status === 'inactive')), { id: 'frameworks-inactive' }),
      table('Completed', head, frameworkRows(state, all.filter((f) => f.status === 'completed')), { id: 'frameworks-completed' }),
    ];
  });
}

function taskRows(state, tasks) {
  return tasks.map((t) => [h('code', {}, t.id), t.name, stateBadge(t.state), health(t), agentLink(state, t.slave_id), time(started(t)), time(lastUpdate(t)), res(t.resources), sandboxLink(t)]);
}
const TASK_HEAD = ['id', 'name', 'state', 'health', 'agent', 'started', 'last update', 'resources', ''];

function frameworkDetail(id) {
  return page(`Framework ${id}`, ({ state }) => {
    const f = frameworksOf(state).find((x) => x.id === id);
    if (!f) return [h('h1', {}, 'Framework'), h('p', {}, `No framework ${id} (completed ones are forgotten after --max_completed_frameworks).`)];
    return [
      h('h1', {}, 'Framework ', h('span', {}, f.name)),
      kv([
        ['id', h('code', {}, f.id)], ['state', f.status], ['role', f.role || (f.roles || []).join(', ')], ['principal', f.principal],
        ['user', f.user], ['hostname', f.hostname], ['pid', h('code', {}, f.pid || '')],
        ['registered', time(f.registered_time)], ['re-registered', time(f.reregistered_time)], ['unregistered', time(f.unregistered_time)],
        ['failover timeout', `${f.failover_timeout} s`], ['checkpoint', String(f.checkpoint)],
        ['allocated', res(f.used_resources)], ['offered', res(f.offered_resources)],
        ['capabilities', (f.capabilities || []).map((c) => c.type).join(', ')],
      ]),
      table('Tasks', TASK_HEAD, taskRows(state, [...(f.tasks || []), ...(f.unreachable_tasks || [])])),
      table('Offers', ['id', 'agent', 'role', 'resources'], (f.offers || []).map((o) => [h('code', {}, o.id), agentLink(state, o.slave_id), o.allocation_info?.role || '', res(o.resources)])),
      table('Executors', ['id', 'agent', 'resources'], (f.executors || []).map((e) => [h('code', {}, e.executor_id), agentLink(state, e.slave_id), res(e.resources)])),
      table('Completed tasks', TASK_HEAD, taskRows(state, f.completed_tasks || [])),
    ];
  });
}

// ------------------------------------------------------------------ agents

function agents(r) {
  if (r.arg) return agentDetail(r.arg);
  return page('Agents', ({ state }) => [
    h('h1', {}, 'Agents'),
    table('', ['id', 'host', 'state', 'cpus', 'mem', 'disk', 'attributes', 'registered'],
      state.slaves.map((a) => [
        h('a', { href: `#/agents/${encodeURIComponent(a.id)}` }, h('code', {}, a.id)), `${a.hostname}:${a.port}`,
        a.active ? 'active' : 'deactivated',
        `${round(a.used_resources.cpus || 0)} / ${round(a.resources.cpus || 0)}`,
        `${mb(a.used_resources.mem || 0)} / ${mb(a.resources.mem || 0)}`,
        `${mb(a.used_resources.disk || 0)} / ${mb(a.resources.disk || 0)}`,
        Object.entries(a.attributes || {}).map(([k, v]) => `${k}:${v}`).join(', '), time(a.registered_time),
      ]), { id: 'agents' }),
  ]);
}

function agentDetail(id) {
  let agentState;
  let loading = false;
  let lastFetch = 0;
  const p = {
    title: `Agent ${id}`,
    update(main, store) {
      const { state } = store;
      // The agent's own /state (executors and their sandboxes) through the master.
      if (!loading && store.fetchedAt > lastFetch) {
        loading = true;
        lastFetch = store.fetchedAt;
        fetch(`/webui/agent?agent=${encodeURIComponent(id)}&endpoint=/state`).then((r) => (r.ok ? r.json() : undefined)).then((s) => {
          agentState = s;
          loading = false;
          p.update(main, store);
        }, () => (loading = false));
      }
      const a = state.slaves.find((x) => x.id === id);
      main.textContent = '';
      if (!a) {
        main.appendChild(h('section', {}, h('h1', {}, 'Agent'), h('p', {}, `No agent ${id} is registered.`)));
        return;
      }
      const tasks = tasksOf(state).filter((t) => t.slave_id === id);
      const executors = [];
      for (const f of [...(agentState?.frameworks || []), ...(agentState?.completed_frameworks || [])]) {
        for (const e of [...(f.executors || []), ...(f.completed_executors || [])]) executors.push({ ...e, framework: f });
      }
      main.appendChild(h('section', {},
        h('h1', {}, 'Agent ', h('code', {}, a.id)),
        kv([
          ['host', `${a.hostname}:${a.port}`], ['pid', h('code', {}, a.pid)], ['state', a.active ? 'active' : 'deactivated'], ['version', a.version],
          ['registered', time(a.registered_time)], ['attributes', Object.entries(a.attributes || {}).map(([k, v]) => `${k}:${v}`).join(', ')],
          ['capabilities', (a.capabilities || []).join(', ')],
        ]),
        table('Resources', ['', 'total', 'used', 'offered', 'reserved', 'unreserved'], [
          ['all', res(a.resources), res(a.used_resources), res(a.offered_resources), Object.entries(a.reserved_resources || {}).map(([role, r]) => `${role}: ${res(r)}`).join('; '), res(a.unreserved_resources)],
        ]),
        table('Executors', ['id', 'framework', 'name', 'resources', 'sandbox'], executors.map((e) => [
          h('code', {}, e.id), e.framework.name, e.name, res(e.resources),
          h('a', { href: `#/sandbox?agent=${encodeURIComponent(id)}&path=${encodeURIComponent(e.directory)}` }, 'browse'),
        ])),
        table('Tasks', TASK_HEAD, taskRows(state, tasks)),
      ));
    },
  };
  return p;
}

// ------------------------------------------------------------------ tasks

const TASK_COLUMNS = [
  ['id', (t) => t.id], ['name', (t) => t.name], ['framework', (t) => t.framework_name], ['state', (t) => t.state],
  ['health', health], ['agent', (t) => t.slave_id], ['started', (t) => started(t) || 0], ['last update', (t) => lastUpdate(t) || 0],
];

function tasks(r) {
  const ui = { text: r.query.get('q') || '', state: r.query.get('state') || '', sort: 6, desc: true };
  let results;
  let lastStore;
  const controls = h('form', { class: 'controls', role: 'search', onsubmit: (e) => e.preventDefault() },
    h('label', {}, 'Find ', h('input', { type: 'search', id: 'task-filter', value: ui.text, placeholder: 'id, name, framework, agent', oninput: (e) => { ui.text = e.target.value; draw(); } })),
    h('label', {}, 'State ', h('select', { id: 'task-state', onchange: (e) => { ui.state = e.target.value; draw(); } },
      h('option', { value: '' }, 'any'),
      h('option', { value: 'active', selected: ui.state === 'active' }, 'not terminal'),
      TASK_STATES.map((s) => h('option', { value: s, selected: ui.state === s }, s)))));
  function draw() {
    if (!lastStore || !results) return;
    const { state } = lastStore;
    const terms = ui.text.toLowerCase().split(/\s+/).filter(Boolean);
    const terminal = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR']);
    let list = tasksOf(state).filter((t) => {
      if (ui.state === 'active' ? terminal.has(t.state) : ui.state !== '' && t.state !== ui.state) return false;
      const hay = `${t.id} ${t.name} ${t.framework_name} ${t.framework_id} ${t.slave_id} ${t.state}`.toLowerCase();
      return terms.every((x) => hay.includes(x));
    });
    const key = TASK_COLUMNS[ui.sort][1];
    list.sort((a, b) => {
      const x = key(a), y = key(b);
      const c = x < y ? -1 : x > y ? 1 : 0;
      return ui.desc ? -c : c;
    });
    const head = h('tr', {}, TASK_COLUMNS.map(([name], i) =>
      h('th', { scope: 'col', 'aria-sort': ui.sort === i ? (ui.desc ? 'descending' : 'ascending') : 'none' },
        h('button', { type: 'button', class: 'sort', onclick: () => { ui.desc = ui.sort === i ? !ui.desc : false; ui.sort = i; draw(); } }, name, ui.sort === i ? (ui.desc ? ' ▼' : ' ▲') : ''))),
      h('th', { scope: 'col' }, 'resources'), h('th', { scope: 'col' }, ''));
    const rows = list.map((t) => h('tr', { 'data-task': t.id },
      h('td', {}, h('code', {}, t.id)), h('td', {}, t.name), h('td', {}, fwLink(t.framework_id, t.framework_name)), h('td', { class: 'state' }, stateBadge(t.state)),
      h('td', {}, health(t)), h('td', {}, agentLink(state, t.slave_id)), h('td', {}, time(started(t))), h('td', {}, time(lastUpdate(t))),
      h('td', {}, res(t.resources)), h('td', {}, sandboxLink(t))));
    results.textContent = '';
    results.appendChild(h('p', { class: 'count', 'aria-live': 'polite' }, `${list.length} task${list.length === 1 ? '' : 's'}`));
    results.appendChild(h('div', { class: 'scroll' }, h('table', { id: 'tasks' }, h('thead', {}, head), h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 10, class: 'empty' }, 'none'))))));
  }
  return {
    title: 'Tasks',
    update(main, store) {
      lastStore = store;
      if (!results) {
        main.textContent = '';
        results = h('div', {});
        main.appendChild(h('section', {}, h('h1', {}, 'Tasks'), controls, results));
      }
      draw();
    },
  };
}

// ------------------------------------------------------------------ roles

const ROLE_SHARE_TIP = "From the allocator (allocator/mesos/roles/<role>/shares/dominant in /metrics/snapshot): the largest fraction of the cluster's total of any scalar resource (cpus, mem, disk, gpus, …, less --fair_sharing_excluded_resource_names) that the role holds, allocated or offered, before dividing by its weight.";
const FRAMEWORK_SHARE_TIP = "Computed here as the allocator's framework sorter does (the master does not publish it): the largest fraction of the cluster's total of any scalar resource (less --fair_sharing_excluded_resource_names) that the framework holds, used or offered. Under the drf policy, frameworks of a role with the smallest share get offers first.";

/** role=policy pairs of --role_policies; a role not named uses drf. */
function policyOf(flags) {
  const out = {};
  for (const item of String((flags && flags.role_policies) || '').split(',')) {
    const [role, policy] = item.split('=');
    if (role && policy) out[role.trim()] = policy.trim();
  }
  return out;
}

function roles() {
  return page('Roles', ({ state, roles, metrics }) => {
    const totals = {};
    for (const a of state.slaves) for (const [k, v] of Object.entries(a.resources || {})) if (typeof v === 'number') totals[k] = (totals[k] || 0) + v;
    const excluded = new Set(String((state.flags && state.flags.fair_sharing_excluded_resource_names) || '').split(',').map((x) => x.trim()).filter(Boolean));
    const share = (...held) => {
      let max = 0;
      for (const [k, total] of Object.entries(totals)) {
        if (total <= 0 || excluded.has(k)) continue;
        const n = held.reduce((acc, r) => acc + ((r || {})[k] || 0), 0);
        max = Math.max(max, n / total);
      }
      return max;
    };
    const pct = (x) => `${(x * 100).toFixed(1)}%`;
    const policies = policyOf(state.flags);
    const roleShare = (r) => {
      const fromMaster = metrics && metrics[`allocator/mesos/roles/${r.name}/shares/dominant`];
      return typeof fromMaster === 'number' ? fromMaster : share(r.resources || r.allocated);
    };
    const list = (roles && roles.roles) || [];
    const text = (state.flags && state.flags.role_policies) || '';
    return [
      h('h1', {}, 'Roles'),
      h('p', {}, 'Role policies (--role_policies): ', text ? h('code', {}, text) : 'drf for every role (the default)'),
      table('', ['role', 'weight', 'policy', 'quota guarantee', 'quota limit', 'allocated', 'offered', h('abbr', { title: ROLE_SHARE_TIP }, 'dominant share'), 'frameworks'],
        list.map((r) => [
          h('code', {}, r.name), String(r.weight ?? 1), policies[r.name] || 'drf', res(r.quota?.guarantee), res(r.quota?.limit), res(r.allocated), res(r.offered),
          h('span', { class: 'share', 'data-role': r.name, title: ROLE_SHARE_TIP }, pct(roleShare(r))), (r.frameworks || []).length ? String(r.frameworks.length) : '0',
        ]), { id: 'roles' }),
      h('h2', {}, 'Dominant share per framework'),
      h('p', { class: 'hint' }, FRAMEWORK_SHARE_TIP),
      table('', ['framework', 'role', 'policy', 'used', 'offered', h('abbr', { title: FRAMEWORK_SHARE_TIP }, 'dominant share')],
        state.frameworks.map((f) => {
          const role = f.role || (f.roles || []).join(', ');
          return [fwLink(f.id, f.name), role, policies[role] || 'drf', res(f.used_resources), res(f.offered_resources),
            h('span', { class: 'share', 'data-framework': f.id, title: FRAMEWORK_SHARE_TIP }, pct(share(f.used_resources, f.offered_resources)))];
        }), { id: 'framework-shares' }),
    ];
  });
}

// ------------------------------------------------------------------ offers

function offers() {
  return page('Offers', ({ state }) => {
    const list = [];
    for (const f of state.frameworks) for (const o of f.offers || []) list.push({ ...o, framework_name: f.name });
    return [
      h('h1', {}, 'Outstanding offers'),
      table('', ['id', 'framework', 'agent', 'role', 'resources'],
        list.map((o) => [h('code', {}, o.id), fwLink(o.framework_id, o.framework_name), agentLink(state, o.slave_id), o.allocation_info?.role || '', res(o.resources)]), { id: 'offers' }),
      h('h2', {}, 'By agent'),
      table('', ['agent', 'offers', 'offered'], state.slaves.map((a) => [agentLink(state, a.id), String(list.filter((o) => o.slave_id === a.id).length), res(a.offered_resources)])),
    ];
  });
}

// ------------------------------------------------------------------ sandbox

const proxy = (agent, endpoint, params) => `/webui/agent?agent=${encodeURIComponent(agent)}&endpoint=${endpoint}&${new URLSearchParams(params)}`;

/** The executor directory of a task, from the agent's own /state. */
function findSandbox(agentState, frameworkId, taskId) {
  for (const f of [...(agentState.frameworks || []), ...(agentState.completed_frameworks || [])]) {
    if (f.id !== frameworkId) continue;
    for (const e of [...(f.executors || []), ...(f.completed_executors || [])]) {
      const all = [...(e.tasks || []), ...(e.queued_tasks || []), ...(e.completed_tasks || [])];
      if (all.some((t) => t.id === taskId) || e.id === taskId) return e.directory;
    }
  }
  return undefined;
}

function sandbox(r) {
  const agent = r.query.get('agent') || '';
  let path = r.query.get('path') || '';
  const file = r.query.get('file') || '';
  const taskId = r.query.get('task');
  let tailTimer;
  let stopped = false;
  let built;
  const p = {
    title: 'Sandbox',
    needsState: false,
    leave() {
      stopped = true;
      clearTimeout(tailTimer);
    },
    update(main) {
      if (built) return;
      built = h('section', {}, h('h1', {}, 'Sandbox'), h('p', {}, 'Loading…'));
      main.textContent = '';
      main.appendChild(built);
      void load(built);
    },
  };
  async function load(el) {
    try {
      if (!path && taskId) {
        const s = await (await fetch(proxy(agent, '/state', {}))).json();
        path = findSandbox(s, r.query.get('framework'), taskId) || '';
        if (!path) throw new Error(`the agent knows no sandbox for task ${taskId} (garbage-collected?)`);
      }
      if (file) return showFile(el, file);
      const res = await fetch(proxy(agent, '/files/browse', { path }));
      if (!res.ok) throw new Error(await res.text());
      const entries = await res.json();
      const base = (x) => x.slice(x.lastIndexOf('/') + 1);
      el.textContent = '';
      el.append(
        h('h1', {}, 'Sandbox', taskId ? ` of task ${taskId}` : ''),
        h('p', { class: 'path' }, h('code', {}, path)),
        table('', ['name', 'size', 'modified', 'mode', ''], entries.map((e) => {
          const dir = e.mode.startsWith('d');
          const href = dir ? `#/sandbox?agent=${encodeURIComponent(agent)}&path=${encodeURIComponent(e.path)}` : `#/sandbox?agent=${encodeURIComponent(agent)}&path=${encodeURIComponent(path)}&file=${encodeURIComponent(e.path)}`;
          return [h('a', { href }, base(e.path) + (dir ? '/' : '')), dir ? '' : String(e.size), time(e.mtime), h('code', {}, e.mode),
            dir ? '' : h('a', { href: proxy(agent, '/files/download', { path: e.path }), download: base(e.path) }, 'download')];
        }), { id: 'sandbox-files' }));
    } catch (err) {
      el.textContent = '';
      el.append(h('h1', {}, 'Sandbox'), h('p', { class: 'error' }, String(err.message || err)));
    }
  }
  // A live tail: read from the file's end of last time, as Mesos's pailer does with offsets.
  async function showFile(el, f) {
    const pre = h('pre', { id: 'tail', class: 'tail', tabindex: '0', 'aria-label': `contents of ${f}` });
    const status = h('span', { class: 'hint', 'aria-live': 'polite' }, '');
    el.textContent = '';
    el.append(
      h('h1', {}, f.slice(f.lastIndexOf('/') + 1)),
      h('p', {}, h('a', { href: `#/sandbox?agent=${encodeURIComponent(agent)}&path=${encodeURIComponent(path)}` }, '← sandbox'), ' · ',
        h('a', { href: proxy(agent, '/files/download', { path: f }) }, 'download'), ' · ', status),
      pre);
    let offset = 0;
    const tick = async () => {
      if (stopped) return;
      try {
        for (;;) {
          const res = await fetch(proxy(agent, '/files/read', { path: f, offset: String(offset), length: '65536' }));
          if (!res.ok) throw new Error(await res.text());
          const chunk = await res.json();
          if (chunk.data.length === 0) break;
          const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
          pre.append(chunk.data);
          offset = chunk.offset + new TextEncoder().encode(chunk.data).length;
          if (atBottom) pre.scrollTop = pre.scrollHeight;
        }
        status.textContent = `following · ${offset} bytes`;
      } catch (err) {
        status.textContent = `cannot read: ${err.message}`;
      }
      if (!stopped) tailTimer = setTimeout(tick, 1000);
    };
    await tick();
  }
  return p;
}

export const pages = { overview, frameworks, agents, tasks, roles, offers, sandbox };
