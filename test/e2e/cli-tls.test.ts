// The HTTP commands against a master that speaks only TLS and wants HTTP authentication, as an
// operator runs them: `mesos` and `mesos-operator` over https (the CA from
// LIBPROCESS_SSL_CA_FILE, the master's certificate verified), with Basic credentials from
// --principal/--secret or DEFAULT_PRINCIPAL/DEFAULT_SECRET; and `POST /tasks/kill` authorized by
// the teardown_frameworks ACL (403 for a principal it does not allow).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, run } from '../fixtures/cli-run.js';
import { startProcess, type Started } from '../fixtures/processes.js';
import { recordingFramework, type RecordingFramework } from '../hostile/framework.js';
import { until } from '../hostile/raw-peer.js';

type Ready = { address: string; pid: string; osPid: number };
const node = join(import.meta.dirname, '..', 'hostile', 'secure-node.ts');
const SECRETS = { ops: 'ops-secret', intruder: 'intruder-secret', fw: 'fw-secret', agent: 'agent-secret' };

describe('the HTTP commands against a TLS master with HTTP authentication', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mesos-cli-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const TLS = { LIBPROCESS_SSL_ENABLED: 'true', LIBPROCESS_SSL_CERT_FILE: cert, LIBPROCESS_SSL_KEY_FILE: key, LIBPROCESS_SSL_CA_FILE: cert, LIBPROCESS_SSL_VERIFY_CERT: 'true' };
  const saved = { ...process.env };
  let master: Started<Ready>;
  let agent: Started<Ready>;
  let fw: RecordingFramework;
  let address: string;

  const mesos = (args: string[], env: NodeJS.ProcessEnv = {}) => run('mesos', [`--master=${address}`, ...args], { env: cleanEnv({ ...TLS, ...env }), timeoutMs: 30_000 });

  before(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    // This process's runtime (the framework's driver) speaks TLS too.
    Object.assign(process.env, TLS);
    const trust = {
      credentials: SECRETS,
      authenticateFrameworks: true,
      authenticateHttpReadonly: true,
      authenticateHttpReadwrite: true,
      acls: { teardown_frameworks: [{ principals: { values: ['ops'] }, framework_principals: { type: 'ANY' } }, { principals: { type: 'ANY' }, framework_principals: { type: 'NONE' } }] },
    };
    master = await startProcess<Ready>(node, ['master', JSON.stringify(trust)], TLS);
    address = master.ready.address;
    agent = await startProcess<Ready>(node, ['agent', address, 'cpus:1;mem:256', join(dir, 'agent'), JSON.stringify({ credential: { principal: 'agent', secret: SECRETS.agent } })], TLS);
    fw = await recordingFramework(address, { principal: 'fw', name: 'tls-framework' }, { principal: 'fw', secret: SECRETS.fw });
    const offer = await fw.nextOffer();
    fw.driver.launchTasks([offer.id], [{ name: 'sleeper', task_id: { value: 'sleeper' }, agent_id: offer.agent_id, resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 32 } }], command: { value: 'sleep 60' } }]);
    await until('the task to run', () => fw.statuses.find((s) => s.task_id.value === 'sleeper' && s.state === 'TASK_RUNNING'), 30_000);
  });

  after(async () => {
    await fw?.stop();
    agent?.child.kill('SIGTERM');
    master?.child.kill('SIGTERM');
    await Promise.all([agent?.exited, master?.exited]);
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('mesos lists tasks over https with Basic credentials from the environment or the flags', async () => {
    const [byEnv, byFlags] = await Promise.all([
      mesos(['task', 'list', '--json'], { DEFAULT_PRINCIPAL: 'ops', DEFAULT_SECRET: SECRETS.ops }),
      mesos(['--principal=ops', `--secret=${SECRETS.ops}`, 'framework', 'list']),
    ]);
    assert.equal(byEnv.code, 0, byEnv.stderr);
    assert.deepEqual((JSON.parse(byEnv.stdout) as { id: string; state: string }[]).map((t) => [t.id, t.state]), [['sleeper', 'TASK_RUNNING']]);
    assert.equal(byFlags.code, 0, byFlags.stderr);
    assert.match(byFlags.stdout, /tls-framework/);
  });

  it('without credentials it is told to authenticate; without the CA it refuses the certificate; without TLS it gets no answer', async () => {
    const [anonymous, noCa, plain] = await Promise.all([
      mesos(['task', 'list']),
      mesos(['--principal=ops', `--secret=${SECRETS.ops}`, 'task', 'list'], { LIBPROCESS_SSL_CA_FILE: '' }),
      run('mesos', [`--master=${address}`, '--principal=ops', `--secret=${SECRETS.ops}`, 'task', 'list'], { env: cleanEnv({ LIBPROCESS_SSL_ENABLED: 'false' }), timeoutMs: 30_000 }),
    ]);
    assert.equal(anonymous.code, 1);
    assert.match(anonymous.stderr, /^error: .*401 .*--principal/);
    assert.equal(noCa.code, 1);
    assert.match(noCa.stderr, /^error: cannot reach the master at https:\/\/.*(self.signed|certificate)/i);
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /^error: cannot reach the master at http:\/\//);
  });

  it('mesos-operator reads weights over https with credentials from its flags', async () => {
    const r = await run('mesos-operator', [`--master=${address}`, '--principal=ops', `--secret=${SECRETS.ops}`, 'weights', 'get'], { env: cleanEnv(TLS), timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), []);
  });

  it('POST /tasks/kill is authorized by teardown_frameworks: 403 for a principal it denies, TASK_KILLED for one it allows', async () => {
    const denied = await mesos(['--principal=intruder', `--secret=${SECRETS.intruder}`, 'task', 'kill', 'sleeper']);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /^error: cannot kill task 'sleeper': Forbidden: principal 'intruder' may not kill tasks of framework/);
    assert.ok(!fw.statuses.some((s) => s.state === 'TASK_KILLED'), 'the task still runs');
    const allowed = await mesos(['--principal=ops', `--secret=${SECRETS.ops}`, 'task', 'kill', 'sleeper']);
    assert.equal(allowed.code, 0, allowed.stderr);
    await until('TASK_KILLED', () => fw.statuses.find((s) => s.task_id.value === 'sleeper' && s.state === 'TASK_KILLED'), 20_000);
  });
});
