// A master or an agent as its own OS process, with the trust settings a hostile test turns:
// `master <json>` or `agent <master> <resources> <work_dir> <json>`, where json holds
// credentials as an object, the authenticate_* switches and ACLs as Mesos's JSON. Prints one
// JSON line once it serves (an agent: once it started; it may be refused registration).

import { startAgent } from '../../agent/index.js';
import { startMaster } from '../../master/index.js';
import { parseAcls } from '../../protocol/index.js';

interface Trust {
  credentials?: Record<string, string>;
  credential?: { principal: string; secret: string };
  authenticateFrameworks?: boolean;
  authenticateAgents?: boolean;
  authenticateHttpReadonly?: boolean;
  authenticateHttpReadwrite?: boolean;
  authenticateExecutors?: boolean;
  acls?: unknown;
  /** Agents: a restarted agent needs its old port to keep its identity. */
  port?: number;
  executorReregistrationTimeoutMs?: number;
  statusUpdateRetryMs?: number;
}

const [role, ...rest] = process.argv.slice(2);
if (role === 'master') {
  const t = JSON.parse(rest[0] ?? '{}') as Trust;
  const m = await startMaster({
    port: 0,
    allocationIntervalMs: 100,
    ...(t.credentials !== undefined ? { credentials: new Map(Object.entries(t.credentials)) } : {}),
    ...(t.acls !== undefined ? { acls: parseAcls(t.acls) } : {}),
    authenticateFrameworks: t.authenticateFrameworks ?? false,
    authenticateAgents: t.authenticateAgents ?? false,
    authenticateHttpReadonly: t.authenticateHttpReadonly ?? false,
    authenticateHttpReadwrite: t.authenticateHttpReadwrite ?? false,
  });
  process.on('SIGTERM', () => void m.stop().then(() => process.exit(0)));
  process.stdout.write(`${JSON.stringify({ address: m.address, pid: m.pid, osPid: process.pid })}\n`);
} else if (role === 'agent') {
  const [master, resources, workDir, json] = rest;
  const t = JSON.parse(json ?? '{}') as Trust;
  const a = await startAgent({
    master: master!,
    port: t.port ?? 0,
    resources: resources!,
    workDir: workDir!,
    hostname: '127.0.0.1',
    registrationBackoffMs: 50,
    checkpointFsync: false,
    ...(t.credential !== undefined ? { credential: t.credential } : {}),
    authenticateExecutors: t.authenticateExecutors ?? false,
    ...(t.executorReregistrationTimeoutMs !== undefined ? { executorReregistrationTimeoutMs: t.executorReregistrationTimeoutMs } : {}),
    ...(t.statusUpdateRetryMs !== undefined ? { statusUpdateRetryMs: t.statusUpdateRetryMs } : {}),
  });
  process.on('SIGTERM', () => void a.stop({ destroyAll: true }).then(() => process.exit(0)));
  process.stdout.write(`${JSON.stringify({ address: a.address, pid: a.pid, osPid: process.pid })}\n`);
}
