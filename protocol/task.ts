// The Task record (what /state lists and checkpoints keep) built from the TaskInfo a framework
// launched: one builder, so master and agent describe a task with the same fields.

import type { Task, TaskInfo } from './types.js';
import type { TaskState } from './task-states.js';

/**
 * A new Task for `info` with no statuses yet. The agent id and resources are the TaskInfo's own
 * (callers that rewrite them pass the rewritten TaskInfo); `executorId` is set for tasks of a
 * custom executor, absent for command tasks; `user` is the framework's, as the master records it.
 */
export function newTask(info: TaskInfo, frameworkId: string, state: TaskState, executorId: string | undefined, user?: string): Task {
  const task: Task = {
    name: info.name,
    task_id: info.task_id,
    framework_id: { value: frameworkId },
    agent_id: info.agent_id,
    state,
    resources: info.resources ?? [],
    statuses: [],
  };
  if (user !== undefined) task.user = user;
  if (executorId !== undefined) task.executor_id = { value: executorId };
  if (info.labels !== undefined) task.labels = info.labels;
  if (info.discovery !== undefined) task.discovery = info.discovery;
  if (info.container !== undefined) task.container = info.container;
  if (info.health_check !== undefined) task.health_check = info.health_check;
  if (info.kill_policy !== undefined) task.kill_policy = info.kill_policy;
  if (info.discovery !== undefined) task.discovery = info.discovery;
  if (info.limits !== undefined) task.limits = info.limits;
  return task;
}
