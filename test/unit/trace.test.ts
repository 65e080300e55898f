// mesos-trace's library: parsing and merging the fixture's four trace files, the filters and
// follow, and what a user sees in the text, Mermaid and HTML renderings.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Script } from 'node:vm';
import fc from 'fast-check';
import {
  UnknownMessageError,
  filterHistory,
  followMessage,
  mergeTrace,
  parseTrace,
  renderHtml,
  renderMermaid,
  renderText,
} from '../../cli/trace/index.js';
import type { TraceEvent, TraceHistory, TraceMessage } from '../../cli/trace/index.js';
import { AGENT, AGENT_PID, EXECUTOR, FW, MASTER, SCHEDULER, fixtureFiles } from './trace-fixture.js';

function parseAll(files: ReadonlyMap<string, string> = fixtureFiles()) {
  const events: TraceEvent[] = [];
  const bad = [];
  for (const [name, text] of files) {
    const r = parseTrace(text, name);
    events.push(...r.events);
    bad.push(...r.bad);
  }
  return { events, bad };
}

function history(files?: ReadonlyMap<string, string>): TraceHistory {
  return mergeTrace(parseAll(files).events);
}

const byId = (h: TraceHistory, id: string): TraceMessage => {
  const m = h.messages.find((x) => x.id === id);
  assert.ok(m, `message ${id}`);
  return m;
};

// What a user should see, top to bottom: [from label, name, to label].
const S = 'scheduler-8d1f3b2…';
const M = 'master';
const A = 'agent(1)';
const E = 'executor(1)';
const EXPECTED: [string, string, string][] = [
  [S, 'RegisterFramework', M],
  [M, 'FrameworkRegistered', S],
  [M, '_Allocate', M],
  [M, 'ResourceOffers', S],
  [S, 'Accept', M],
  [M, 'RunTask', A],
  [M, 'RunTask', A],
  [A, 'StatusUpdate', M],
  [M, 'StatusUpdate', S],
  [E, 'RegisterExecutor', A],
  [A, 'ExecutorRegistered', E],
  [A, 'RunTask', E],
  [E, 'StatusUpdate', A],
  [A, 'StatusUpdate', M],
  [M, 'StatusUpdate', S],
  [S, 'StatusUpdateAcknowledgement', M],
  [M, 'StatusUpdateAcknowledgement', A],
  [A, 'StatusUpdateAcknowledgement', E],
  [E, 'StatusUpdate', A],
  [A, 'StatusUpdate', M],
  [A, '_StatusUpdateRetry', A],
  [A, 'StatusUpdate', M],
  [M, 'StatusUpdate', S],
  [S, 'StatusUpdateAcknowledgement', M],
  [M, 'StatusUpdateAcknowledgement', A],
  [A, 'StatusUpdateAcknowledgement', E],
];

test('parsing skips the truncated last line of a killed process and reports where it was', () => {
  const { events, bad } = parseAll();
  assert.equal(bad.length, 1);
  assert.equal(bad[0]!.source, 'executor.jsonl');
  assert.equal(bad[0]!.line, 7);
  assert.match(bad[0]!.reason, /JSON/);
  assert.equal(events.length, 26 * 2 - 1 - 1 + 1); // send+recv each, one drop instead of a recv, one lost line
});

test('parsing rejects lines with missing or mistyped fields but keeps the good ones', () => {
  const good = JSON.stringify({ ts: 1, runtime: 'h:1', dir: 'send', from: 'a@h:1', to: 'b@h:1', name: 'X', id: 'x.1', cause: null, bytes: 3 });
  const text = [
    good,
    '[1,2]',
    JSON.stringify({ ts: 'soon', runtime: 'h:1', dir: 'send', from: 'a', to: 'b', name: 'X', id: 'x.2' }),
    JSON.stringify({ ts: 2, runtime: 'h:1', dir: 'sent', from: 'a', to: 'b', name: 'X', id: 'x.3' }),
    JSON.stringify({ ts: 2, runtime: 'h:1', dir: 'recv', from: 'a', to: 'b', id: 'x.4' }),
    '',
  ].join('\n');
  const r = parseTrace(text, 't.jsonl');
  assert.deepEqual(r.events.map((e) => e.id), ['x.1']);
  assert.deepEqual(r.bad.map((b) => b.line), [2, 3, 4, 5]);
  assert.match(r.bad[3]!.reason, /'name'/);
});

test('merging pairs the send, recv and drop lines of each id into one message', () => {
  const h = history();
  assert.equal(h.messages.length, 26);
  const runTask = byId(h, 'm1.4');
  assert.equal(runTask.status, 'delivered');
  assert.equal(runTask.from, MASTER);
  assert.equal(runTask.to, AGENT_PID);
  assert.equal(runTask.bytes, 143);
  assert.equal(runTask.task_id, 'task-1');
  // The agent's clock runs 1 ms slow: the raw latency shows it, the ordering does not.
  assert.ok(Math.abs(runTask.latencyMs! - -0.6) < 1e-3);

  const lost = byId(h, 'a1.6');
  assert.equal(lost.status, 'dropped');
  assert.equal(lost.dropReason, 'connection_lost');
  assert.equal(lost.receivedAt, undefined);

  // Its recv line was the truncated one.
  assert.equal(byId(h, 'a1.9').status, 'unconfirmed');
});

test('the history is in send order, and no message comes before its cause or after its effects', () => {
  const h = history();
  const pids: Record<string, string> = { [SCHEDULER]: S, [MASTER]: M, [AGENT_PID]: A, [EXECUTOR]: E };
  assert.deepEqual(h.messages.map((m) => [pids[m.from], m.name, pids[m.to]]), EXPECTED);
  assertCausal(h);
  assert.equal(h.origin, h.messages[0]!.at);
});

function assertCausal(h: TraceHistory): void {
  const index = new Map(h.messages.map((m, i) => [m.id, i]));
  h.messages.forEach((m, i) => {
    if (i > 0) assert.ok(h.messages[i - 1]!.at <= m.at, 'non-decreasing times');
    const c = m.cause === null ? undefined : index.get(m.cause);
    if (c === undefined) return;
    const cause = h.messages[c]!;
    assert.ok(c < i, `${cause.id} before ${m.id}`);
    assert.ok(m.at >= cause.at && m.at >= (cause.receivedAt ?? cause.droppedAt ?? cause.at), `${m.id} sent after ${cause.id} arrived`);
  });
}

test('any clock skew between the processes and any line order still give a causal, identical history', () => {
  const files = fixtureFiles();
  const runtimes = ['127.0.0.1:40001', '127.0.0.1:5050', '127.0.0.1:5051', '127.0.0.1:40002'];
  const { events } = parseAll(files);
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 4, maxLength: 4 }),
      fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
      (skews, shuffled) => {
        const skewed = shuffled.map((e) => ({ ...e, ts: e.ts + skews[runtimes.indexOf(e.runtime)]! }));
        const h = mergeTrace(skewed);
        assert.equal(h.messages.length, 26);
        assertCausal(h);
        // The same skewed lines in file order merge to the same history.
        const inOrder = mergeTrace(events.map((e) => ({ ...e, ts: e.ts + skews[runtimes.indexOf(e.runtime)]! })));
        assert.deepEqual(h.messages.map((m) => m.id), inOrder.messages.map((m) => m.id));
      },
    ),
    { numRuns: 200 },
  );
});

test('a file left out shows its messages from the other side only', () => {
  const files = fixtureFiles();
  files.delete('executor.jsonl');
  const h = history(files);
  const register = byId(h, 'e1.1');
  assert.equal(register.sentAt, undefined);
  assert.equal(register.status, 'delivered');
  assert.equal(byId(h, 'a1.2').status, 'unconfirmed');
  assertCausal(h);
});

test('a file given twice is merged once and its lines counted as duplicates', () => {
  const { events } = parseAll();
  const h = mergeTrace([...events, ...events]);
  assert.equal(h.messages.length, 26);
  assert.equal(h.duplicates, events.length);
});

test('filters keep the messages that carry the framework, task, agent or name asked for', () => {
  const h = history();
  const names = (x: TraceHistory): string[] => x.messages.map((m) => `${m.id} ${m.name}`);
  assert.deepEqual(names(filterHistory(h, { task: 'task-2' })), ['m1.5 RunTask', 'a1.1 StatusUpdate', 'm1.6 StatusUpdate']);
  const fw = filterHistory(h, { framework: FW });
  assert.ok(!fw.messages.some((m) => m.name === 'RegisterFramework' || m.name === '_Allocate'));
  assert.equal(fw.messages.length, 23);
  assert.equal(filterHistory(h, { framework: 'other' }).messages.length, 0);
  assert.ok(filterHistory(h, { agent: AGENT }).messages.every((m) => m.agent_id === AGENT));
  assert.deepEqual(
    names(filterHistory(h, { names: ['runtask', 'ExecutorRegistered'] })),
    ['m1.4 RunTask', 'm1.5 RunTask', 'a1.2 ExecutorRegistered', 'a1.3 RunTask'],
  );
  assert.deepEqual(names(filterHistory(h, { task: 'task-1', names: ['RunTask'] })), ['m1.4 RunTask', 'a1.3 RunTask']);
  // Filtering keeps the origin, so times stay comparable between views.
  assert.equal(filterHistory(h, { task: 'task-2' }).origin, h.origin);
});

test('follow keeps a message, everything it caused, and the causes that led to it', () => {
  const h = history();
  const ids = (x: TraceHistory): string[] => x.messages.map((m) => m.id);
  // TASK_FINISHED from the executor: the lost forward, the retry, and the acknowledgements.
  assert.deepEqual(ids(followMessage(h, 'e1.3')), ['e1.3', 'a1.6', 'a1.7', 'a1.8', 'm1.9', 's1.4', 'm1.10', 'a1.9']);
  assert.deepEqual(ids(followMessage(h, 'a1.8')), ['e1.3', 'a1.7', 'a1.8', 'm1.9', 's1.4', 'm1.10', 'a1.9']);
  assert.deepEqual(ids(followMessage(h, 'a1.8', { ancestors: false })), ['a1.8', 'm1.9', 's1.4', 'm1.10', 'a1.9']);
  // The framework's registration caused the whole launch on the master's side.
  assert.deepEqual(ids(followMessage(h, 's1.1')), ['s1.1', 'm1.1', 'm1.2', 'm1.3', 's1.2', 'm1.4', 'm1.5', 'a1.1', 'm1.6']);
  assert.throws(() => followMessage(h, 'nope'), UnknownMessageError);
});

// ---- text ----

const HEADS = '▶◀✗▷◁';

/** Reads a text diagram back: [from label, name, to label] for each row, using the lifelines. */
function readText(text: string): { labels: string[]; rows: [string, string, string][]; lines: string[] } {
  const lines = text.split('\n');
  const lifelineRow = lines.findIndex((l) => l.includes('┬'));
  const xs = [...lines[lifelineRow]!].flatMap((c, i) => (c === '┬' ? [i] : []));
  const headerRows = lines.slice(0, lifelineRow);
  const labels = xs.map((x) => {
    for (const h of headerRows) {
      const m = [...h.matchAll(/\S+/g)].find((w) => w.index! <= x && x < w.index! + w[0].length);
      if (m) return m[0];
    }
    return '?';
  });
  const rows: [string, string, string][] = [];
  for (const line of lines.slice(lifelineRow + 1)) {
    if (!/^\s*\d+\.\d{3} /.test(line)) continue;
    const chars = [...line];
    const from = xs.findIndex((x) => chars[x] === '├' || chars[x] === '┤');
    const selfMark = chars.findIndex((c) => c === '↺');
    let to: number;
    if (selfMark >= 0) to = from;
    else {
      const head = chars.findIndex((c, i) => i > xs[0]! - 2 && HEADS.includes(c));
      to = xs.findIndex((x) => Math.abs(x - head) === 1);
    }
    const found = line.slice(xs[0]!).match(/[_A-Za-z][\w…]*/)!;
    let name = found[0];
    // A name cut short in its arrow is the first note after the lanes.
    if (name.endsWith('…')) name = line.slice(found.index! + xs[0]! + name.length).match(/[_A-Za-z]\w*/)![0];
    rows.push([labels[from]!, name, labels[to]!]);
  }
  return { labels, rows, lines };
}

test('text shows one column per actor and the arrows in order, within 120 columns', () => {
  const out = renderText(history());
  const { labels, rows, lines } = readText(out);
  assert.deepEqual(labels, [S, M, A, E]);
  assert.deepEqual(rows, EXPECTED);
  assert.match(lines[0]!, /^\s+ms\s+scheduler-8d1f3b2…\s+master\s+agent\(1\)\s+executor\(1\)$/);
  const row = (name: string, nth = 0): string => lines.filter((l) => l.includes(name))[nth]!;
  assert.match(row('RegisterFramework'), /^\s+0\.000 +├─+RegisterFramework─+▶│/);
  assert.match(row('FrameworkRegistered'), /│◀─+FrameworkRegistered─+┤/);
  assert.match(row('_Allocate'), /├─↺ _Allocate/);
  assert.match(row('connection_lost'), /│✗─+StatusUpdate─+┤ .*✗ connection_lost$/);
  assert.match(row('? no recv'), /▷│/);
  assert.match(row('_StatusUpdateRetry'), /^\s*1050\.000 /);
  for (const l of lines) {
    const lanes = l.replace(/\s{2,}(✗|\?|id=|[A-Z]\w+$).*$/, '');
    assert.ok(lanes.length <= 120, `too wide: ${l}`);
  }
  assert.ok(out.includes(`  ${S}  ${SCHEDULER}`), 'legend maps labels to pids');
  assert.match(out, /26 messages \(1 dropped, 1 unconfirmed\); times in ms since 2025-11-21T09:58:01\.000Z\n$/);
  assert.equal(renderText(history()), out, 'deterministic');
});

test('text in a narrow terminal shortens names in the arrows and gives them in full beside', () => {
  const out = renderText(history(), { width: 80 });
  const { rows, lines } = readText(out);
  assert.deepEqual(rows, EXPECTED);
  assert.ok(lines.some((l) => /├─StatusUpdateA…─▶│.*StatusUpdateAcknowledgement$/.test(l)));
});

test('text with ids shows each message id and cause', () => {
  const out = renderText(followMessage(history(), 'a1.7', { ancestors: false }), { ids: true });
  assert.match(out, /↺ _StatusUpdateRetry .* id=a1\.7 cause=e1\.3\n/);
  assert.match(out, /StatusUpdate─+▶│[ │]+id=a1\.8 cause=a1\.7\n/);
});

test('text abbreviates many actors and tells apart those with the same id', () => {
  const events: TraceEvent[] = [];
  for (let i = 0; i < 12; i++) {
    const agent = `agent(1)@127.0.0.1:${5051 + i}`;
    const base = { runtime: '127.0.0.1:5050', from: 'master@127.0.0.1:5050', to: agent, name: 'Ping', id: `p.${i}`, cause: null, source: 's', line: i + 1 };
    events.push({ ...base, ts: 1000 + i, dir: 'send' }, { ...base, ts: 1000.5 + i, dir: 'recv', runtime: agent.split('@')[1]! });
  }
  const out = renderText(mergeTrace(events));
  const { labels, rows } = readText(out);
  assert.equal(labels.length, 13);
  assert.equal(new Set(labels).size, 13, `labels must differ: ${labels.join(' ')}`);
  assert.ok(labels.includes('agent(1)@:5051'));
  assert.deepEqual(rows[11], ['master', 'Ping', 'agent(1)@:5062']);
  assert.ok(out.includes('agent(1)@:5062  agent(1)@127.0.0.1:5062'));
});

// ---- mermaid ----

test('mermaid declares the participants and draws every arrow in order, drops as -x', () => {
  const out = renderMermaid(history());
  const lines = out.trimEnd().split('\n');
  assert.equal(lines[0], 'sequenceDiagram');
  assert.deepEqual(lines.filter((l) => l.includes('participant')), [
    `    participant p1 as ${S}`,
    '    participant p2 as master',
    '    participant p3 as agent(1)',
    '    participant p4 as executor(1)',
  ]);
  assert.ok(lines.includes(`    %% p1 = ${SCHEDULER}`));
  const arrows = lines.filter((l) => /^\s+p\d/.test(l));
  assert.equal(arrows.length, 26);
  assert.deepEqual(arrows.slice(0, 6), [
    '    p1->>p2: RegisterFramework',
    '    p2->>p1: FrameworkRegistered',
    '    p2->>p2: _Allocate',
    '    p2->>p1: ResourceOffers',
    '    p1->>p2: Accept',
    '    p2->>p3: RunTask',
  ]);
  assert.ok(arrows.includes('    p3-xp2: StatusUpdate ✗ connection_lost'));
  assert.equal(arrows[25], '    p3-)p4: StatusUpdateAcknowledgement (no recv)');
  assert.ok(!out.includes('Note'));
});

test('mermaid adds a note with the id, cause and time of each arrow when asked', () => {
  const out = renderMermaid(filterHistory(history(), { task: 'task-2' }), { ids: true });
  assert.equal(out, [
    'sequenceDiagram',
    '    %% p1 = master@127.0.0.1:5050',
    '    %% p2 = agent(1)@127.0.0.1:5051',
    `    %% p3 = ${SCHEDULER}`,
    '    participant p1 as master',
    '    participant p2 as agent(1)',
    `    participant p3 as ${S}`,
    '    p1->>p2: RunTask',
    '    Note over p1,p2: m1.5 ← s1.2 · +5.600 ms',
    '    p2->>p1: StatusUpdate',
    '    Note over p2,p1: a1.1 ← m1.5 · +5.600 ms',
    '    p1->>p3: StatusUpdate',
    '    Note over p1,p3: m1.6 ← a1.1 · +7.500 ms',
    '',
  ].join('\n'));
});

// ---- html ----

test('html is one self-contained page with the actors, the arrows and the message details', () => {
  const out = renderHtml(history(), { warnings: ['skipped 1 malformed line: executor.jsonl:7'] });
  assert.match(out, /^<!DOCTYPE html>/);
  assert.doesNotMatch(out, /https?:\/\//, 'no network addresses');
  assert.doesNotMatch(out, /<script[^>]+src=|<link[^>]+stylesheet|@import|url\(/);
  assert.match(out, /<svg class="flow"/);
  const actorLabels = [...out.matchAll(/<g class="actor"><title>([^<]+)<\/title>.*?<text[^>]*>([^<]+)<\/text>/g)].map((m) => [m[1], m[2]]);
  assert.deepEqual(actorLabels, [[SCHEDULER, S], [MASTER, M], [AGENT_PID, A], [EXECUTOR, E]]);
  const arrows = [...out.matchAll(/<g class="msg (\w+)" data-i="(\d+)"[^>]*>.*?<text class="label[^"]*"[^>]*>([^<]+)<\/text><\/g>/g)];
  assert.deepEqual(arrows.map((m) => m[3]!.replace(/ ✗.*/, '')), EXPECTED.map((e) => e[1]));
  assert.deepEqual(arrows.map((m) => Number(m[2])), EXPECTED.map((_, i) => i));
  assert.equal(arrows.find((m) => m[1] === 'dropped')![3], 'StatusUpdate ✗ connection_lost');
  assert.ok(out.includes('skipped 1 malformed line: executor.jsonl:7'));
  assert.ok(out.includes('id="filter"'));

  const json = out.match(/<script type="application\/json" id="trace-data">(.*?)<\/script>/s)![1]!;
  const data = JSON.parse(json) as { messages: Record<string, unknown>[] };
  assert.equal(data.messages.length, 26);
  assert.deepEqual(
    { ...data.messages[5] },
    {
      id: 'm1.4', cause: 's1.2', name: 'RunTask', from: MASTER, to: AGENT_PID, status: 'delivered', time: '5.500',
      bytes: 143, sent: 1763719081005.5, received: 1763719081004.9, latency: '-0.600',
      framework_id: FW, task_id: 'task-1', agent_id: AGENT,
    },
  );
  // The page's script must at least compile; the lead checks it in a real browser.
  const scripts = [...out.matchAll(/<script>(.*?)<\/script>/gs)].map((m) => m[1]!);
  assert.equal(scripts.length, 1);
  assert.doesNotThrow(() => new Script(scripts[0]!));
  assert.equal(renderHtml(history()), renderHtml(history()), 'deterministic');
});

test('html escapes names and ids so no trace content can end the script or add markup', () => {
  const base = { ts: 5, runtime: 'h:1', from: 'a@h:1', to: 'b@h:1', cause: null, source: 's', line: 1 };
  const evil = '</script><img src=x onerror=alert(1)>';
  const h = mergeTrace([{ ...base, dir: 'send', name: evil, id: 'x"1' }]);
  const out = renderHtml(h);
  assert.ok(!out.includes('<img'));
  assert.equal((out.match(/<\/script>/g) ?? []).length, 2);
  const json = out.match(/<script type="application\/json" id="trace-data">(.*?)<\/script>/s)![1]!;
  assert.equal((JSON.parse(json) as { messages: { name: string }[] }).messages[0]!.name, evil);
});

test('an empty history renders in every format', () => {
  const empty = filterHistory(history(), { task: 'none' });
  assert.equal(renderText(empty), 'no messages to show\n');
  assert.equal(renderMermaid(empty), 'sequenceDiagram\n');
  assert.match(renderHtml(empty), /0 messages between 0 actors/);
});

test('startTrace writes lines mesos-trace reads back exactly, whatever pids, names and ids a peer made up', async () => {
  const { startTrace } = await import('../../runtime/index.js');
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'mesos-ts-trace-writer-'));
  try {
    let inspector: ((ev: unknown) => void) | undefined;
    const runtime = { address: '127.0.0.1:5050', inspect: (i: (ev: unknown) => void) => ((inspector = i), () => {}) };
    const file = join(dir, 't.jsonl');
    const tracer = startTrace(runtime as never, file, { attributes: (m) => ({ framework_id: (m as { fw?: string }).fw, task_id: undefined }) });
    const str = fc.string({ unit: 'binary', maxLength: 40 });
    const envelope = fc.record({ from: str, to: str, name: str, id: fc.oneof(str, fc.constantFrom('ab12.1', 'zzzzzzzzzzzzzzzz.1234567890123456', '.1', 'a.', 'A1.2', 'a.b', 'a1.2.3')), cause: fc.option(str), bytes: fc.nat(), fw: fc.option(str, { nil: undefined }) });
    const sent = fc.sample(fc.tuple(fc.constantFrom('send', 'receive', 'drop'), envelope), 300);
    for (const [type, e] of sent) {
      inspector!({ type, ...(type === 'drop' ? { reason: 'dead_letter', detail: e.name } : {}), envelope: { ...e, body: { name: e.name, fw: e.fw } } });
    }
    tracer.stop();
    const r = parseTrace(readFileSync(file, 'utf8'), 't.jsonl');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, sent.length);
    lines.forEach((line, i) => {
      const o = JSON.parse(line) as Record<string, unknown>;
      const [type, e] = sent[i]!;
      assert.deepEqual(
        { runtime: o['runtime'], dir: o['dir'], from: o['from'], to: o['to'], name: o['name'], id: o['id'], cause: o['cause'], bytes: o['bytes'], framework_id: o['framework_id'], reason: o['reason'] },
        { runtime: '127.0.0.1:5050', dir: type === 'receive' ? 'recv' : type, from: e.from, to: e.to, name: e.name, id: e.id, cause: e.cause, bytes: e.bytes, framework_id: e.fw, reason: type === 'drop' ? 'dead_letter' : undefined },
      );
      assert.equal(typeof o['ts'], 'number');
    });
    // Lines with an empty pid or name are refused by the reader; every other line reads back.
    const readable = sent.filter(([, e]) => e.from && e.to && e.name && e.id).length;
    assert.equal(r.events.length, readable);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
