// The default executor program: the agent launches it for a task group's DEFAULT executor with
// the MESOS_* environment (see defaultExecutorCommand). Only this file reads the environment,
// handles signals and exits.

import { MesosExecutorDriver } from './driver.js';
import { DefaultExecutor } from './default-executor.js';

const directory = process.env['MESOS_SANDBOX'] ?? process.env['MESOS_DIRECTORY'] ?? process.cwd();
const executor = new DefaultExecutor({ directory });
const driver = new MesosExecutorDriver(executor);
// The agent destroys the container with SIGTERM to this process's group; the tasks are groups of
// their own, so they are killed here before the driver stops.
const onSignal = (): void => {
  void Promise.resolve(executor.shutdown(driver)).then(() => driver.stop());
};
process.once('SIGTERM', onSignal);
process.once('SIGINT', onSignal);
const status = await driver.run();
process.exit(status === 'DRIVER_STOPPED' ? 0 : 1);
