// The task benchmark's custom executor: finishes every task as soon as it gets it
// (TASK_RUNNING, then TASK_FINISHED), so what is measured is mesos-ts's own path.

import { MesosExecutorDriver, type Executor } from '../executor/index.js';

const executor: Executor = {
  registered() {},
  reregistered() {},
  disconnected() {},
  launchTask(driver, task) {
    driver.sendStatusUpdate({ task_id: task.task_id, state: 'TASK_RUNNING' });
    driver.sendStatusUpdate({ task_id: task.task_id, state: 'TASK_FINISHED' });
  },
  killTask(driver, taskId) {
    driver.sendStatusUpdate({ task_id: taskId, state: 'TASK_KILLED' });
  },
  frameworkMessage() {},
  shutdown(driver) {
    void driver.stop();
  },
  error() {},
};

await new MesosExecutorDriver(executor).run();
process.exit(0);
