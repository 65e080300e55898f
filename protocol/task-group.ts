// Validation of a LAUNCH_GROUP operation (Mesos's master/validation.cpp, task::group): the
// group's DEFAULT executor, then its tasks as one LAUNCH would check them, then the executor's
// resources on top when it is new. A group starts whole or not at all: one problem rejects every
// task in it with REASON_TASK_GROUP_INVALID.

import { checkIdValue } from './ids.js';
import { Resources } from './resources.js';
import type { ExecutorInfo, OfferOperation, TaskInfo } from './types.js';
import { deepEqual, validateLaunch, type LaunchContext, type LaunchRejection } from './validation.js';

/** At most this many tasks in one group (mesos-ts only: Mesos sets no bound). */
export const MAX_TASK_GROUP_SIZE = 256;

export type TaskGroupCheck =
  | {
      ok: true;
      /** The executor, with the framework's id filled in. */
      executor: ExecutorInfo;
      launch_executor: boolean;
      tasks: TaskInfo[];
      /** What the tasks and (if new) the executor take, with allocation_info. */
      used: Resources;
      remaining: Resources;
    }
  | { ok: false; tasks: TaskInfo[]; rejection: LaunchRejection };

function invalidGroup(message: string): LaunchRejection {
  return { state: 'TASK_ERROR', reason: 'REASON_TASK_GROUP_INVALID', message: `Task group is invalid: ${message}` };
}

export function validateTaskGroup(op: OfferOperation, ctx: LaunchContext): TaskGroupCheck {
  const tasks = op.launch_group?.task_group.tasks ?? [];
  const fail = (message: string): TaskGroupCheck => ({ ok: false, tasks, rejection: invalidGroup(message) });
  if (op.type !== 'LAUNCH_GROUP' || op.launch_group === undefined) return fail("the LAUNCH_GROUP operation has no 'launch_group' field");
  if (op.id !== undefined) return fail(`the LAUNCH_GROUP operation sets 'id' (${op.id.value}), but operation feedback is not supported for launches`);
  if (tasks.length === 0) return fail('it has no tasks');
  if (tasks.length > MAX_TASK_GROUP_SIZE) return fail(`it has ${tasks.length} tasks, more than the ${MAX_TASK_GROUP_SIZE} allowed`);

  const given = op.launch_group.executor;
  const executor: ExecutorInfo = given.framework_id !== undefined ? given : { ...given, framework_id: { value: ctx.framework_id.value } };
  const eid = executor.executor_id.value;
  const idProblem = checkIdValue(eid);
  if (idProblem !== undefined) return fail(`executor ID '${eid}' is invalid: ${idProblem}`);
  if (executor.type !== 'DEFAULT') return fail(`executor '${eid}' has type ${executor.type ?? 'UNKNOWN'}; a task group runs on a DEFAULT executor`);
  if (executor.command !== undefined) return fail(`executor '${eid}' is a DEFAULT executor and must not set 'command'`);
  if (executor.framework_id?.value !== ctx.framework_id.value) return fail(`executor '${eid}' names framework ${executor.framework_id?.value ?? ''}, not ${ctx.framework_id.value}`);
  let executorResources: Resources;
  try {
    executorResources = Resources.fromJSON(executor.resources ?? []);
  } catch (e) {
    return fail(`executor '${eid}' has invalid resources: ${(e as Error).message}`);
  }
  if (executorResources.hasShared()) return fail(`executor '${eid}' uses shared resources, which executors may not`);
  const existing = ctx.executors.get(eid);
  if (existing !== undefined && !deepEqual(existing, executor)) return fail(`executor '${eid}' differs from the executor '${eid}' this framework already has on agent ${ctx.agent_id.value}`);

  for (const t of tasks) {
    if (t.executor !== undefined) return fail(`task '${t.task_id.value}' sets 'executor'; the tasks of a group run on the group's executor`);
    if (t.container?.type === 'DOCKER') return fail(`task '${t.task_id.value}' has a DOCKER container, which task groups do not support`);
  }
  const result = validateLaunch(tasks, ctx);
  for (const o of result.outcomes) {
    if (!o.ok) return fail(`task '${o.task.task_id.value}': ${o.rejection.message}`);
  }
  let used = result.used;
  let remaining = result.remaining;
  const launchExecutor = existing === undefined;
  if (launchExecutor) {
    const consumed = executorResources.allocate(ctx.allocation_role);
    if (!remaining.contains(consumed)) {
      return fail(`the tasks and executor '${eid}' use ${used.add(consumed).unallocate().toString()}, more than the offers have: ${ctx.offered.unallocate().toString() || 'nothing'}`);
    }
    used = used.add(consumed);
    remaining = remaining.subtract(consumed);
  }
  return { ok: true, executor, launch_executor: launchExecutor, tasks, used, remaining };
}
