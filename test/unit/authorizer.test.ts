import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { authorized, parseAcls, PERMISSIVE } from '../../protocol/index.js';

test('with no ACLs everything is allowed (permissive by default)', () => {
  assert.equal(authorized(PERMISSIVE, 'run_tasks', undefined, 'root'), true);
  assert.equal(authorized(parseAcls({}), 'register_frameworks', 'p', 'r'), true);
});

test('the first rule whose subject matches decides, by its object', () => {
  const acls = parseAcls({
    run_tasks: [
      { principals: { values: ['ops'] }, users: { type: 'ANY' } },
      { principals: { values: ['dev'] }, users: { values: ['nobody'] } },
      { principals: { type: 'ANY' }, users: { type: 'NONE' } },
    ],
  });
  assert.equal(authorized(acls, 'run_tasks', 'ops', 'root'), true);
  assert.equal(authorized(acls, 'run_tasks', 'dev', 'nobody'), true);
  assert.equal(authorized(acls, 'run_tasks', 'dev', 'root'), false, 'dev matched its rule, which names only nobody');
  assert.equal(authorized(acls, 'run_tasks', 'other', 'nobody'), false);
  assert.equal(authorized(acls, 'run_tasks', undefined, 'nobody'), false);
});

test('when no rule matches, permissive decides', () => {
  const strict = parseAcls({ permissive: false, register_frameworks: [{ principals: { values: ['a'] }, roles: { values: ['web'] } }] });
  assert.equal(authorized(strict, 'register_frameworks', 'a', 'web'), true);
  assert.equal(authorized(strict, 'register_frameworks', 'b', 'web'), false);
  assert.equal(authorized(strict, 'teardown_frameworks', 'a', 'x'), false, 'no rules for the action: permissive=false denies');
});

test('a NONE subject stands for requests without a principal', () => {
  const acls = parseAcls({ permissive: false, get_endpoints: [{ principals: { type: 'NONE' }, paths: { values: ['/flags'] } }] });
  assert.equal(authorized(acls, 'get_endpoints', undefined, '/flags'), true);
  assert.equal(authorized(acls, 'get_endpoints', 'someone', '/flags'), false);
});

test('malformed ACLs are refused with the path of what is wrong', () => {
  assert.throws(() => parseAcls({ run_task: [] }), /unknown ACL action 'run_task'/);
  assert.throws(() => parseAcls({ permissive: 'yes' }), /permissive/);
  assert.throws(() => parseAcls({ run_tasks: [{ principals: { values: [1] } }] }), /run_tasks\[0\]\.principals\.values/);
  assert.throws(() => parseAcls({ run_tasks: [{ users: { type: 'SOME' } }] }), /run_tasks\[0\]\.users/);
  assert.throws(() => parseAcls([]), /JSON object/);
});
