// The executor host program: the agent launches it once per (framework, agent) with the MESOS_*
// environment (see executorHostCommand). The only file of executor/ that reads the environment,
// handles signals and exits.

import { createLogger, parseAddress, pidAddress, pinoLevel } from '../runtime/index.js';
import { startProtocolRuntime, tryParseDuration } from '../protocol/index.js';
import { executorCredential, testEndpointsFromEnv } from './driver.js';
import { parseAgentPid } from '../driver/index.js';
import { DEFAULT_RECOVERY_TIMEOUT_MS, DEFAULT_SHUTDOWN_GRACE_MS } from './driver.js';
import { ExecutorHost } from './executor-host.js';

const env = process.env;
const agentPidText = env['MESOS_AGENT_PID'] ?? env['MESOS_SLAVE_PID'];
const frameworkId = env['MESOS_FRAMEWORK_ID'];
if (!agentPidText || !frameworkId) {
  process.stderr.write('executor host: MESOS_AGENT_PID (or MESOS_SLAVE_PID) and MESOS_FRAMEWORK_ID must be set; it is launched by an agent\n');
  process.exit(2);
}
const agentPid = parseAgentPid(agentPidText);
// The agent launched this process itself: while it is our parent, it runs (once it dies we are re-parented).
const agentOsPid = process.ppid;
const logger = createLogger({ level: pinoLevel(env['MESOS_LOGGING_LEVEL'] ?? 'WARNING'), name: 'executor-host' });
const tracePath = env['MESOS_TRACE'];
const { runtime, tracer } = await startProtocolRuntime({
  ip: env['LIBPROCESS_IP'] ?? parseAddress(pidAddress(agentPid)).host,
  port: 0,
  logger,
  // Every command executor here speaks through this runtime, authenticated with the host's token.
  ...(frameworkId !== undefined ? withCredential(executorCredential(env, frameworkId, 'executor-host')) : {}),
  ...(tracePath ? { trace: tracePath } : {}),
  ...(testEndpointsFromEnv(env) ? { testEndpoints: true } : {}),
});

const duration = (name: string, fallbackMs: number): number => {
  const text = env[name];
  return (text ? tryParseDuration(text) : undefined) ?? fallbackMs;
};
// Its first message continues the flow of the agent's message that launched it.
const host = runtime.withCause(env['MESOS_TRACE_CAUSE'] || null, () => runtime.spawn(
  new ExecutorHost({
    frameworkId: { value: frameworkId },
    agentPid,
    checkpoint: env['MESOS_CHECKPOINT'] === '1' || env['MESOS_CHECKPOINT'] === 'true',
    recoveryTimeoutMs: duration('MESOS_RECOVERY_TIMEOUT', DEFAULT_RECOVERY_TIMEOUT_MS),
    shutdownGracePeriodMs: duration('MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD', DEFAULT_SHUTDOWN_GRACE_MS),
    agentAlive: () => process.ppid === agentOsPid,
  }),
  'executor-host',
));

// SIGTERM (the agent destroying the container) kills the tasks' process groups too: they are
// their own groups, so killing the host's group would not reach them.
const onSignal = (): void => runtime.send(host.self, host.self, { name: 'ShutdownExecutorHost', framework_id: { value: frameworkId } });
process.once('SIGTERM', onSignal);
process.once('SIGINT', onSignal);

await host.done;
tracer?.stop();
await runtime.stop();
process.exit(0);

function withCredential(credential: { principal: string; secret: string } | undefined): { auth?: { credential: { principal: string; secret: string } } } {
  return credential === undefined ? {} : { auth: { credential } };
}
