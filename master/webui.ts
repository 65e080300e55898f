// The master's web UI: the static assets of webui/ at `/` and `/webui/…`, the live message
// stream (`/webui/events`, Server-Sent Events built from the runtime's inspection stream), and a
// proxy to the agents' sandboxes (`/webui/agent?agent=ID&endpoint=/files/read&…`).
//
// The inspection stream is subscribed to only while at least one client is connected, so the
// UI costs nothing when no one watches. Each client has a bounded buffer: a client that does not
// read loses events (counted, and told how many) instead of growing the master's memory.
//
// Sandboxes go through the master rather than the browser calling agents directly: the page
// then has one origin (no CORS headers to get right on every agent, no mixed ports blocked by
// a proxy or firewall in front of the cluster), and only the agents the master admitted can be
// reached, only on their read-only /files and /state endpoints.

import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { installLogRoutes, pidAddress, type HttpRequest, type HttpResponse, type InspectionEvent, type Runtime } from '../runtime/index.js';
import { traceAttributes } from '../protocol/index.js';
import type { Master } from './master.js';

/** Messages after which the pages refetch /state: what changes frameworks, agents, tasks or offers. */
export const STATE_CHANGING = new Set([
  'RegisterFramework', 'ReregisterFramework', 'UnregisterFramework', 'DeactivateFramework', 'FrameworkRegistered',
  'FrameworkReregistered', 'RegisterAgent', 'ReregisterAgent', 'UnregisterAgent', 'AgentRegistered', 'AgentReregistered',
  'ShutdownAgent', 'LaunchTasks', 'Accept', 'Decline', 'RunTask', 'KillTask', 'StatusUpdate', 'StatusUpdateAcknowledgement',
  'ResourceOffers', 'RescindResourceOffer', 'ExitedExecutor', 'ShutdownFramework', 'LostAgent', 'ReviveOffers', 'SuppressOffers',
]);

/** Bytes a client may have unread before further events are dropped for it. */
const CLIENT_BUFFER_BYTES = 512 * 1024;
/** A comment line this often keeps proxies from closing the stream and reveals dead clients. */
const KEEPALIVE_MS = 15_000;
/** How long `changed` notices are coalesced for the state-only clients. */
const CHANGED_COALESCE_MS = 200;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

/** The webui/ folder: beside master/ in a checkout, two levels up from dist/master/ in a build. */
export function webuiDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, '..', 'webui'), join(here, '..', '..', 'webui')]) {
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  }
  return undefined;
}

interface Client {
  stream: Readable;
  flow: boolean;
  dropped: number;
  changedTimer: NodeJS.Timeout | undefined;
}

export interface WebUiStats {
  clients: number;
  subscribed: boolean;
  dropped: number;
}

/** Serves the web UI on the master's runtime; the returned stats are for tests and metrics. */
export function installWebUi(runtime: Runtime, master: Master): { stats(): WebUiStats } {
  const owner = master.self;
  const assets = loadAssets();
  const clients = new Set<Client>();
  let unsubscribe: (() => void) | undefined;
  let droppedTotal = 0;
  const dropCounter = runtime.metrics.counter('master/webui/events_dropped');
  runtime.metrics.gauge('master/webui/clients', () => clients.size);
  runtime.metrics.gauge('master/webui/inspecting', () => (unsubscribe === undefined ? 0 : 1));

  for (const [path, asset] of assets) {
    runtime.route(owner, path, (req) => (req.method === 'GET' || req.method === 'HEAD' ? asset : { status: 405, body: 'GET only' }));
  }
  const index = assets.get('/webui/index.html');
  if (index !== undefined) runtime.route(owner, '/', () => index);

  const write = (c: Client, text: string): void => {
    if (c.stream.readableLength > CLIENT_BUFFER_BYTES) {
      c.dropped++;
      droppedTotal++;
      dropCounter.value++;
      return;
    }
    if (c.dropped > 0) {
      c.stream.push(`event: dropped\ndata: ${c.dropped}\n\n`);
      c.dropped = 0;
    }
    c.stream.push(text);
  };

  const inspector = (ev: InspectionEvent): void => {
    if (ev.type !== 'send' && ev.type !== 'receive' && ev.type !== 'drop') return;
    const e = ev.envelope;
    if (e === undefined) return;
    let line: string | undefined;
    const changes = STATE_CHANGING.has(e.name);
    for (const c of clients) {
      if (c.flow) {
        if (line === undefined) {
          const record: Record<string, unknown> = {
            ts: performance.timeOrigin + performance.now(),
            dir: ev.type === 'receive' ? 'recv' : ev.type,
            from: e.from,
            to: e.to,
            name: e.name,
            id: e.id,
            cause: e.cause,
            bytes: e.bytes,
            ...traceAttributes(e.body),
          };
          if (ev.type === 'drop') record['reason'] = ev.reason;
          line = `data: ${JSON.stringify(record)}\n\n`;
        }
        write(c, line);
      } else if (changes && c.changedTimer === undefined) {
        c.changedTimer = setTimeout(() => {
          c.changedTimer = undefined;
          write(c, `event: changed\ndata: ${e.name}\n\n`);
        }, CHANGED_COALESCE_MS);
      }
    }
  };

  const remove = (c: Client): void => {
    if (!clients.delete(c)) return;
    if (c.changedTimer !== undefined) clearTimeout(c.changedTimer);
    if (clients.size === 0 && unsubscribe !== undefined) {
      unsubscribe();
      unsubscribe = undefined;
    }
  };

  runtime.route(owner, '/webui/events', (req) => {
    const c: Client = { stream: new Readable({ read() {} }), flow: req.query.get('flow') === '1', dropped: 0, changedTimer: undefined };
    clients.add(c);
    unsubscribe ??= runtime.inspect(inspector);
    const keepalive = setInterval(() => write(c, ': keepalive\n\n'), KEEPALIVE_MS);
    keepalive.unref();
    // The transport destroys the stream when the client's connection closes.
    c.stream.once('close', () => {
      clearInterval(keepalive);
      remove(c);
    });
    c.stream.push(`retry: 1000\nevent: hello\ndata: ${JSON.stringify({ master: owner, flow: c.flow })}\n\n`);
    return {
      status: 200,
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' },
      stream: c.stream,
    };
  });

  runtime.route(owner, '/webui/agent', (req) => proxyToAgent(master, req));
  installLogRoutes(runtime, owner, '/master/log');

  return { stats: () => ({ clients: clients.size, subscribed: unsubscribe !== undefined, dropped: droppedTotal }) };
}

function loadAssets(): Map<string, HttpResponse> {
  const out = new Map<string, HttpResponse>();
  const dir = webuiDir();
  if (dir === undefined) return out;
  const walk = (sub: string): void => {
    for (const name of readdirSync(join(dir, sub))) {
      const rel = sub === '' ? name : `${sub}/${name}`;
      const full = join(dir, rel);
      if (statSync(full).isDirectory()) walk(rel);
      else {
        const type = TYPES[extname(name)];
        if (type === undefined) continue;
        out.set(`/webui/${rel}`, { status: 200, headers: { 'content-type': type, 'cache-control': 'no-cache' }, body: readFileSync(full) });
      }
    }
  };
  walk('');
  return out;
}

const AGENT_ENDPOINTS = new Set(['/state', '/files/browse', '/files/read', '/files/download']);

async function proxyToAgent(master: Master, req: HttpRequest): Promise<HttpResponse> {
  const agentId = req.query.get('agent') ?? '';
  const endpoint = req.query.get('endpoint') ?? '';
  if (!AGENT_ENDPOINTS.has(endpoint)) return text(400, `endpoint must be one of ${[...AGENT_ENDPOINTS].join(', ')}`);
  const agent = master.state.agents.get(agentId);
  if (agent === undefined) return text(404, `no agent ${agentId}`);
  const query = new URLSearchParams();
  for (const key of ['path', 'offset', 'length']) {
    const v = req.query.get(key);
    if (v !== null) query.set(key, v);
  }
  const url = `http://${pidAddress(agent.pid)}${endpoint}${query.size > 0 ? `?${query}` : ''}`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    const headers: Record<string, string> = { 'cache-control': 'no-store' };
    for (const h of ['content-type', 'content-disposition', 'content-length']) {
      const v = res.headers.get(h);
      if (v !== null) headers[h] = v;
    }
    if (res.body === null) return { status: res.status, headers, body: '' };
    return { status: res.status, headers, stream: Readable.fromWeb(res.body as import('node:stream/web').ReadableStream) };
  } catch (err) {
    return text(502, `agent ${agentId} at ${pidAddress(agent.pid)} did not answer: ${(err as Error).message}`);
  }
}

function text(status: number, body: string): HttpResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body };
}
