// A real master with authentication on (frameworks, agents, HTTP) and ACLs, and real agents:
// an unauthenticated framework or agent is refused, an unauthenticated HTTP client gets 401 on
// everything but /health, and a launch the ACLs deny is TASK_ERROR REASON_TASK_UNAUTHORIZED.

import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startProcess, type Started } from '../fixtures/processes.js';
import { until } from './raw-peer.js';
import { recordingFramework, type RecordingFramework } from './framework.js';

interface Ready {
  address: string;
  pid: string;
}

const node = join(import.meta.dirname, 'secure-node.ts');
const credentials = { agent: 'agent-secret', framework: 'framework-secret', operator: 'operator-secret' };
const basic = (p: keyof typeof credentials): string => `Basic ${Buffer.from(`${p}:${credentials[p]}`).toString('base64')}`;

describe('a real master with authentication and ACLs', () => {
  let master: Started<Ready>;
  let agent: Started<Ready>;
  let stranger: Started<Ready> | undefined;
  let workDir: string;
  const frameworks: RecordingFramework[] = [];

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'mesos-hostile-auth-'));
    const trust = {
      credentials,
      authenticateFrameworks: true,
      authenticateAgents: true,
      authenticateHttpReadonly: true,
      authenticateHttpReadwrite: true,
      // The framework may run tasks as 'nobody' only; the operator may tear nothing down.
      acls: { run_tasks: [{ principals: { values: ['framework'] }, users: { values: ['nobody'] } }], teardown_frameworks: [{ principals: { values: ['operator'] }, framework_principals: { type: 'NONE' } }],
        // Only the framework's own principal sees frameworks in /state, /frameworks and /tasks.
        view_frameworks: [{ principals: { values: ['framework'] }, users: { type: 'ANY' } }, { principals: { type: 'ANY' }, users: { type: 'NONE' } }] },
    };
    master = await startProcess<Ready>(node, ['master', JSON.stringify(trust)]);
    agent = await startProcess<Ready>(node, ['agent', master.ready.address, 'cpus:2;mem:512', join(workDir, 'a'), JSON.stringify({ credential: { principal: 'agent', secret: credentials.agent } })]);
  });

  after(async () => {
    for (const f of frameworks) await f.stop();
    for (const p of [agent, stranger, master]) p?.child.kill('SIGTERM');
    await Promise.all([agent?.exited, stranger?.exited, master?.exited]);
    rmSync(workDir, { recursive: true, force: true });
  });

  const get = (path: string, auth?: string): Promise<Response> => fetch(`http://${master.ready.address}${path}`, auth ? { headers: { authorization: auth } } : {});

  it('without credentials /state, /flags, /frameworks and the runtime\'s own endpoints answer 401 with WWW-Authenticate; /health answers 200', async () => {
    for (const path of ['/state', '/master/state', '/flags', '/frameworks', '/tasks', '/metrics/snapshot', '/__processes__']) {
      const r = await get(path);
      assert.equal(r.status, 401, path);
      assert.equal(r.headers.get('www-authenticate'), 'Basic realm="mesos"');
    }
    assert.equal((await get('/state', `Basic ${Buffer.from('operator:wrong').toString('base64')}`)).status, 401, 'a wrong secret is no better');
    assert.equal((await get('/health')).status, 200);
    assert.equal((await get('/state', basic('operator'))).status, 200);
    assert.equal((await get('/metrics/snapshot', basic('operator'))).status, 200);
  });

  it('an unauthenticated POST /teardown is refused with 401; an authenticated one the ACLs deny gets 403', async () => {
    const r = await fetch(`http://${master.ready.address}/teardown`, { method: 'POST', body: 'frameworkId=anything' });
    assert.equal(r.status, 401);
    const fw = await recordingFramework(master.ready.address, { principal: 'framework' }, { principal: 'framework', secret: credentials.framework });
    frameworks.push(fw);
    const id = await until('registered', () => fw.frameworkId());
    const denied = await fetch(`http://${master.ready.address}/teardown`, { method: 'POST', body: `frameworkId=${id}`, headers: { authorization: basic('operator') } });
    assert.equal(denied.status, 403);
    assert.match(await denied.text(), /may not tear down/);
  });

  it('an unauthenticated framework, or one naming another principal, is refused with an error', async () => {
    const anonymous = await recordingFramework(master.ready.address, { principal: 'framework' });
    frameworks.push(anonymous);
    assert.match(await until('an error', () => anonymous.errors[0]), /not authenticated/);
    const liar = await recordingFramework(master.ready.address, { principal: 'operator' }, { principal: 'framework', secret: credentials.framework });
    frameworks.push(liar);
    assert.match(await until('an error', () => liar.errors[0]), /does not match authenticated principal 'framework'/);
    const wrong = await recordingFramework(master.ready.address, { principal: 'framework' }, { principal: 'framework', secret: 'guess' });
    frameworks.push(wrong);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(wrong.frameworkId(), undefined, 'a wrong secret registers nothing');
  });

  it('a launch as a user the ACLs do not allow is TASK_ERROR REASON_TASK_UNAUTHORIZED', async () => {
    const fw = frameworks[0]!;
    const offer = await fw.nextOffer();
    fw.driver.launchTasks([offer.id], [{ name: 'root', task_id: { value: 'as-root' }, agent_id: offer.agent_id, resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }], command: { value: 'id', user: 'root' } }]);
    const status = await fw.status('as-root');
    assert.equal(status.state, 'TASK_ERROR');
    assert.equal(status.reason, 'REASON_TASK_UNAUTHORIZED');
  });

  it('view_frameworks hides frameworks from a principal it does not allow', async () => {
    const seen = async (p: keyof typeof credentials): Promise<number> => ((await (await get('/state', basic(p))).json()) as { frameworks: unknown[] }).frameworks.length;
    assert.ok((await seen('framework')) >= 1);
    assert.equal(await seen('operator'), 0);
    const listed = (await (await get('/frameworks', basic('operator'))).json()) as { frameworks: unknown[] };
    assert.equal(listed.frameworks.length, 0);
  });

  it('an agent without a credential is not admitted', async () => {
    const refusals = async (): Promise<number> => ((await (await get('/metrics/snapshot', basic('operator'))).json()) as Record<string, number>)['master/dropped_messages/unauthenticated'] ?? 0;
    const before = await refusals();
    stranger = await startProcess<Ready>(node, ['agent', master.ready.address, 'cpus:64;mem:512', join(workDir, 'b'), '{}']);
    await until('the refusal is counted', async () => (await refusals()) > before || undefined);
    const state = (await (await get('/state', basic('operator'))).json()) as { slaves: { pid: string }[] };
    assert.deepEqual(state.slaves.map((s) => s.pid), [agent.ready.pid]);
  });
});
