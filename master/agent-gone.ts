// MARK_AGENT_GONE (Mesos's Master::markGone): an operator says an agent will never come back.
// It is shut down and removed, its tasks become TASK_GONE_BY_OPERATOR (TASK_LOST for frameworks
// that are not PARTITION_AWARE) with REASON_AGENT_REMOVED_BY_OPERATOR, and a later
// re-registration under its id is refused with Shutdown. An unreachable agent can be marked
// gone too: its unreachable tasks complete the same way. The registry records it gone with the
// time, so a restarted or newly elected master still refuses it.

import type { TaskStatus } from '../protocol/index.js';
import { detachAgent, lostAgent } from './agents.js';
import { masterStatus, sendMasterUpdate, type MasterContext } from './context.js';
import type { FrameworkRecord } from './state.js';
import { setTaskState } from './tasks.js';

/** Marks the agent gone; an error message (and the HTTP status it means) when it cannot be. */
export function markAgentGone(ctx: MasterContext, agentId: string): { status: number; message: string } | undefined {
  const { state } = ctx;
  if (state.goneAgents.has(agentId)) return undefined; // already gone: nothing more to do, as Mesos answers
  if (ctx.pending.leaving.has(agentId) || ctx.pending.reregistering.has(agentId) || ctx.pending.registering.has(agentId)) {
    return { status: 409, message: `A registry operation on agent '${agentId}' is in progress; try again` };
  }
  const agent = state.agents.get(agentId);
  const unreachable = state.unreachableAgents.get(agentId);
  if (agent === undefined && unreachable === undefined) return { status: 404, message: `Agent '${agentId}' not found` };
  const why = `Agent ${agentId} marked gone by the operator`;
  const time = ctx.now();
  state.goneAgents.set(agentId, time);
  const updates: [FrameworkRecord, TaskStatus][] = [];
  const gone = (fw: FrameworkRecord): 'TASK_GONE_BY_OPERATOR' | 'TASK_LOST' => (fw.partitionAware ? 'TASK_GONE_BY_OPERATOR' : 'TASK_LOST');
  if (agent !== undefined) {
    ctx.send(agent.pid, { name: 'Shutdown', message: 'Agent has been marked gone' });
    detachAgent(ctx, agent);
    for (const [fwId, tasks] of agent.tasks) {
      const fw = state.frameworks.get(fwId);
      for (const entry of [...tasks.values()]) {
        if (fw === undefined) continue;
        entry.recovered = true; // the allocator's removeAgent took everything back
        if (!entry.terminal) {
          const status = masterStatus(ctx, entry.task, gone(fw), 'REASON_AGENT_REMOVED_BY_OPERATOR', why);
          setTaskState(ctx, entry, status);
          updates.push([fw, status]);
        }
        state.removeTask(entry);
      }
    }
  } else {
    state.unreachableAgents.delete(agentId);
    for (const fw of state.frameworks.values()) {
      for (const task of [...fw.unreachableTasks.values()]) {
        if (task.agent_id.value !== agentId) continue;
        const status = masterStatus(ctx, task, gone(fw), 'REASON_AGENT_REMOVED_BY_OPERATOR', why);
        task.state = status.state;
        task.statuses.push(status);
        state.completeUnreachableTask(fw, task);
        updates.push([fw, status]);
      }
    }
  }
  ctx.pending.leaving.add(agentId);
  ctx.store({ type: 'markGone', id: agentId, time_ms: time }, () => {
    ctx.pending.leaving.delete(agentId);
    for (const [fw, status] of updates) if (state.frameworks.get(fw.id) === fw) sendMasterUpdate(ctx, fw, status);
    ctx.metrics.slaveRemovals.inc();
    if (agent !== undefined) lostAgent(ctx, agent);
    ctx.log.warn({ agent: agentId }, 'agent marked gone');
  });
  return undefined;
}
