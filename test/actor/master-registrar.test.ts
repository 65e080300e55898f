// The master continues with an agent's admission only once the registry stored it (Mesos's
// _registerSlave): the agent hears AgentRegistered when its entry is on disk, and a retried
// registration that arrives meanwhile is ignored (Mesos's slaves.registering).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resources } from '../../protocol/index.js';
import { Peer, World } from './master-harness.js';

test('an agent hears AgentRegistered only once its admission is on disk, and a retry sent meanwhile is ignored', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mesos-master-'));
  const w = await World.start({ workDir: dir });
  const runtime = await w.spawnRuntime();
  const peer = runtime.spawn(new Peer(), 'agent(1)');
  const onDiskWhenAnswered: string[][] = [];
  peer.on('AgentRegistered', () => {
    const registry = JSON.parse(readFileSync(join(dir, 'registry.json'), 'utf8')) as { admitted: { id: string }[] };
    onDiskWhenAnswered.push(registry.admitted.map((a) => a.id));
  });
  const register = { name: 'RegisterAgent' as const, agent: { hostname: 'h1', port: 5051, resources: Resources.parse('cpus:2;mem:1024').toJSON(), attributes: [] }, version: '1.11.0' };
  peer.tell(w.master.pid, register);
  peer.tell(w.master.pid, register);
  await w.settle();
  const answers = peer.all('AgentRegistered');
  assert.equal(answers.length, 1, 'the retry that arrived while the admission was being stored got no answer of its own');
  const id = answers[0]!.agent_id.value;
  assert.deepEqual(onDiskWhenAnswered, [[id]]);
  const state = await w.state();
  assert.deepEqual(state.slaves.map((s: { id: string }) => s.id), [id]);
  assert.equal((await w.metrics())['master/slave_registrations'], 1);
  // A retry once it is admitted is answered again, as before.
  peer.tell(w.master.pid, register);
  await w.settle();
  assert.equal(peer.all('AgentRegistered').length, 2);
  assert.equal(w.invalidMessages(), 0);
  await w.stop();
});
