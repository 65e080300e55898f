// The web UI's shell: the router (pages by location hash), the cluster's state, and the live
// link to the master. The master has no operator event stream yet, so the pages read /state
// and /roles, and read them again when the master's message stream (/webui/events) reports a
// message that changes them (a status update, an agent registering, …), coalesced; a lost
// connection shows a banner and the EventSource reconnects by itself.

import { h } from './dom.js';
import { pages } from './pages.js';
import { flowPage } from './flow.js';

const store = {
  state: undefined,
  roles: undefined,
  fetchedAt: 0,
  listeners: new Set(),
};

const banner = document.getElementById('banner');
const live = document.getElementById('live');
const main = document.getElementById('main');

function showBanner(text) {
  banner.textContent = text;
  banner.hidden = false;
}
function hideBanner() {
  banner.hidden = true;
}

async function getJson(url) {
  const res = await fetch(url, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return res.json();
}

let fetching = false;
let again = false;
async function refresh() {
  if (fetching) {
    again = true;
    return;
  }
  fetching = true;
  try {
    // The roles page shows the allocator's own dominant shares, which only the metrics carry.
    const metrics = route().name === 'roles' ? getJson('/metrics/snapshot').catch(() => undefined) : undefined;
    const [state, roles] = await Promise.all([getJson('/state'), getJson('/roles')]);
    store.state = state;
    store.roles = roles;
    store.metrics = await metrics;
    store.fetchedAt = Date.now();
    if (connected) hideBanner();
    render();
  } catch (err) {
    showBanner(`Cannot reach the master (${err.message}); retrying…`);
    setTimeout(refresh, 2000);
  } finally {
    fetching = false;
    if (again) {
      again = false;
      void refresh();
    }
  }
}

// Refetches at most every 300 ms however many messages arrive.
let timer;
function scheduleRefresh() {
  if (timer !== undefined) return;
  timer = setTimeout(() => {
    timer = undefined;
    void refresh();
  }, 300);
}

let connected = false;
function connect() {
  const es = new EventSource('/webui/events');
  es.addEventListener('open', () => {
    connected = true;
    live.textContent = 'live';
    live.className = 'live on';
    hideBanner();
    void refresh();
  });
  es.addEventListener('changed', scheduleRefresh);
  es.addEventListener('error', () => {
    connected = false;
    live.textContent = 'disconnected';
    live.className = 'live off';
    showBanner('Lost the connection to the master; reconnecting…');
  });
}

let current = { key: '', page: undefined, el: undefined };

function route() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query] = hash.split('?');
  const parts = path.split('/').filter(Boolean);
  return { name: parts[0] || 'overview', arg: parts.length > 1 ? decodeURIComponent(parts.slice(1).join('/')) : undefined, query: new URLSearchParams(query || '') };
}

function render() {
  const r = route();
  const key = location.hash;
  for (const a of document.querySelectorAll('nav a')) {
    const target = (a.getAttribute('href') || '').replace(/^#\/?/, '') || 'overview';
    if (target === r.name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (current.key !== key) {
    current.page?.leave?.();
    const make = r.name === 'flow' ? flowPage : pages[r.name];
    current = { key, page: make ? make(r) : undefined, el: undefined };
    main.textContent = '';
    if (!current.page) {
      main.appendChild(h('section', {}, h('h1', {}, 'Not found'), h('p', {}, `There is no page ${location.hash}. `, h('a', { href: '#/' }, 'Overview'))));
      return;
    }
    document.title = `${current.page.title} · mesos-ts`;
  }
  if (!current.page) return;
  if (store.state === undefined && current.page.needsState !== false) return;
  current.page.update(main, store);
}

window.addEventListener('hashchange', () => {
  render();
  main.focus({ preventScroll: true });
});

// Times shown as "ago" move on even when nothing happens.
setInterval(() => {
  if (current.page?.ticks) render();
}, 5000);

connect();
void refresh();
render();
