// A real scheduler driver in the test process, registering with a real master over the
// network, recording every callback: the framework whose tasks and identity a hostile peer
// goes after.

import { MesosSchedulerDriver, type Scheduler, type SchedulerDriverOptions } from '../../scheduler-driver/index.js';
import type { FrameworkInfo, Offer, TaskStatus } from '../../protocol/index.js';
import { until } from './raw-peer.js';

export interface RecordingFramework {
  driver: MesosSchedulerDriver;
  frameworkId(): string | undefined;
  offers: Offer[];
  statuses: TaskStatus[];
  errors: string[];
  nextOffer(): Promise<Offer>;
  status(taskId: string): Promise<TaskStatus>;
  stop(): Promise<void>;
}

export async function recordingFramework(master: string, info: Partial<FrameworkInfo> = {}, options: SchedulerDriverOptions = {}): Promise<RecordingFramework> {
  let id: string | undefined;
  const offers: Offer[] = [];
  const statuses: TaskStatus[] = [];
  const errors: string[] = [];
  const scheduler: Scheduler = {
    registered: (_d, fid) => void (id = fid.value),
    reregistered: () => undefined,
    disconnected: () => undefined,
    resourceOffers: (_d, o) => void offers.push(...o),
    offerRescinded: () => undefined,
    statusUpdate: (_d, s) => void statuses.push(s),
    frameworkMessage: () => undefined,
    agentLost: () => undefined,
    executorLost: () => undefined,
    error: (_d, message) => void errors.push(message),
  };
  const driver = new MesosSchedulerDriver(scheduler, { user: '', name: 'hostile-target', failover_timeout: 3600, ...info }, master, options);
  await driver.start();
  return {
    driver,
    frameworkId: () => id,
    offers,
    statuses,
    errors,
    nextOffer: () => until('an offer', () => offers.shift()),
    status: (taskId) => until(`a status of ${taskId}`, () => statuses.find((s) => s.task_id.value === taskId)),
    stop: async () => void (await driver.stop()),
  };
}
