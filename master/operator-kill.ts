// `POST /tasks/kill`: an operator kills one task on its framework's behalf. A departure from
// Mesos, whose v0 and v1 operator APIs have no kill (operators tear the whole framework down):
// the master sends the agent the KillTask the framework would have sent, so the framework then
// sees TASK_KILLED through its usual status updates and acknowledges it as usual.
// Authorized by Mesos's `teardown_frameworks` ACL (principals → framework_principals): killing
// one task of a framework is less than tearing the framework down, and Mesos's ACLs have no
// task-kill action of their own (`kill_nested_containers` is about an agent's nested
// containers by OS user), so whoever may tear the framework down may kill its tasks, and no one
// else; a denial is 403.

import { badRequest, json, notFound, type HttpRequest, type HttpResponse } from '../runtime/index.js';
import { authorized, forbidden, type KillTask } from '../protocol/index.js';
import type { MasterContext } from './context.js';
import type { TaskEntry } from './state.js';

/** `task_id` (and `framework_id` when the id is used by more than one framework), form-encoded or in the query. */
export function killTaskEndpoint(ctx: MasterContext, req: HttpRequest, principal: string | undefined): HttpResponse {
  if (req.method !== 'POST') {
    return { status: 405, headers: { allow: 'POST', 'content-type': 'text/plain; charset=utf-8' }, body: `Expecting POST for ${req.path}, got ${req.method}` };
  }
  const form = new URLSearchParams(Buffer.from(req.body).toString('utf8'));
  const param = (name: string): string | null => form.get(name) ?? req.query.get(name);
  const taskId = param('task_id');
  const frameworkId = param('framework_id');
  if (taskId === null || taskId === '') return badRequest("Missing 'task_id' in the request body");

  const matches: TaskEntry[] = [];
  for (const fw of ctx.state.frameworks.values()) {
    if (frameworkId !== null && frameworkId !== '' && fw.id !== frameworkId) continue;
    const entry = fw.tasks.get(taskId);
    if (entry !== undefined) matches.push(entry);
  }
  const where = frameworkId ? ` of framework '${frameworkId}'` : '';
  if (matches.length === 0) return notFound(`No task '${taskId}'${where} is known to the master (it may have finished and been acknowledged)`);
  if (matches.length > 1) {
    return badRequest(`Task id '${taskId}' is used by ${matches.length} frameworks (${matches.map((e) => e.frameworkId).join(', ')}); give 'framework_id'`);
  }
  const entry = matches[0]!;
  const frameworkPrincipal = ctx.state.frameworks.get(entry.frameworkId)?.info.principal;
  if (!authorized(ctx.opts.acls, 'teardown_frameworks', principal, frameworkPrincipal)) {
    return forbidden(`principal '${principal ?? ''}' may not kill tasks of framework ${entry.frameworkId} (teardown_frameworks)`);
  }
  if (entry.terminal) return { status: 409, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `Task '${taskId}' is already ${entry.task.state}` };
  const agent = ctx.state.agents.get(entry.agentId);
  if (agent === undefined) return notFound(`Task '${taskId}' is on agent ${entry.agentId}, which the master no longer knows`);

  ctx.log.info({ framework: entry.frameworkId, task: taskId, agent: agent.id }, `Killing task ${taskId} of framework ${entry.frameworkId} on agent ${agent.id} as the operator asked`);
  // Recorded as the framework's own kill is, so a re-registering agent that still runs it is told again.
  ctx.state.addKilledTask(agent, entry.frameworkId, taskId);
  if (agent.connected) ctx.send(agent.pid, { name: 'KillTask', framework_id: { value: entry.frameworkId }, task_id: { value: taskId } } satisfies KillTask);
  return json({ framework_id: entry.frameworkId, task_id: taskId, agent_id: agent.id, sent: agent.connected });
}
