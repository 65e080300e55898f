// Checkpointed resources and CREATE validation (protocol/volumes.ts), as Mesos's
// applyCheckpointedResources and validation::operation::validate(Create) behave.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyCheckpointedResources, checkpointedPart, Resources, stripVolumes, volumeProblems, type Resource } from '../../protocol/index.js';

const disk = (mb: number, role?: string): Resource => ({ name: 'disk', type: 'SCALAR', scalar: { value: mb }, ...(role ? { reservations: [{ type: 'DYNAMIC' as const, role }] } : {}) });
const volume = (id: string, mb: number, role = 'dev', path = 'data'): Resource => ({ ...disk(mb, role), disk: { persistence: { id }, volume: { container_path: path, mode: 'RW' } } });

test('the checkpointed part of a total is its dynamic reservations and volumes; laid over the static resources it gives the total back', () => {
  const statics = Resources.parse('cpus:4;mem:1024;disk:1024;disk(static):10');
  const total = statics.subtract(Resources.fromJSON([disk(192)])).add(Resources.fromJSON([disk(64, 'dev'), volume('v1', 128)]));
  const part = checkpointedPart(total);
  assert.equal(part.scalar('disk'), 192);
  assert.equal(part.reserved('static').scalar('disk'), 0, 'static reservations are not checkpointed');
  const back = applyCheckpointedResources(statics, part);
  assert.ok(back instanceof Resources);
  assert.ok(back.equals(total));
  // Resources that shrank below what was checkpointed do not fit.
  assert.match(String(applyCheckpointedResources(Resources.parse('disk:100'), part)), /is not part of the agent's resources/);
});

test('stripVolumes keeps the reservation and drops persistence and volume', () => {
  const s = stripVolumes(Resources.fromJSON([volume('v1', 128)]));
  assert.ok(s.equals(Resources.fromJSON([disk(128, 'dev')])));
});

test('CREATE is refused as Mesos refuses it', () => {
  const none = Resources.EMPTY;
  const check = (v: Resource[], existing = none, principal?: string) => volumeProblems(Resources.fromJSON(v), existing, principal);
  assert.equal(check([volume('v1', 64)]), undefined);
  assert.match(check([{ name: 'disk', type: 'SCALAR', scalar: { value: 64 }, disk: { persistence: { id: 'v1' }, volume: { container_path: 'data', mode: 'RW' } } }])!, /cannot be created from unreserved resources/);
  assert.match(check([volume('v1', 64), volume('v1', 32, 'dev', 'other')])!, /Persistence ID 'v1' is already used/);
  assert.match(check([volume('v1', 64)], Resources.fromJSON([volume('v1', 10)]))!, /already used/);
  assert.equal(check([volume('v1', 64, 'web')], Resources.fromJSON([volume('v1', 10)])), undefined, 'ids are unique per role');
  assert.match(check([volume('v1', 64, 'dev', '/abs')])!, /absolute/);
  assert.match(check([volume('v1', 64, 'dev', 'a/../b')])!, /not normalized/);
  assert.match(check([volume('a/b', 64)])!, /single path segment/);
  assert.match(check([{ ...volume('v1', 64), name: 'mem' }])!, /not a disk resource/);
  assert.match(check([disk(64, 'dev')])!, /not a persistent volume/);
  const owned: Resource = { ...volume('v1', 64), disk: { persistence: { id: 'v1', principal: 'bob' }, volume: { container_path: 'd', mode: 'RW' } } };
  assert.match(check([owned], none, 'alice')!, /principal 'alice' but the volume has principal 'bob'/);
});
