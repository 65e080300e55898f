// Test harness for the master's actor tests: a master on an in-memory network with a manual
// clock, and small stand-ins for agents and schedulers that speak the real protocol messages
// and record everything they receive.

import { text } from 'node:stream/consumers';
import { InMemoryNetwork, ManualClock, Runtime, advance, request, settle, type Pid, type RuntimeOptions } from '../../runtime/index.js';
import { Probe, type Received } from '../kit/index.js';
import {
  newUuid,
  Resources,
  validateMessage,
  type FrameworkInfo,
  type MessageOf,
  type Offer,
  type ProtocolMessage,
  type TaskInfo,
  type TaskState,
} from '../../protocol/index.js';
import { startMaster, type MasterHandle, type MasterOptions } from '../../master/index.js';
import { seededRandom } from '../../master/allocator/index.js';

export type { Received } from '../kit/index.js';

/** The kit's probe on the protocol's messages, answering pings as an agent's observer does. */
export class Peer extends Probe<ProtocolMessage> {
  /** Answer pings (an agent's observer) — off to simulate a partitioned agent. */
  autoPong = true;

  constructor() {
    super();
    this.on('PingAgent', (_m, from) => {
      if (this.autoPong && from !== '') this.tell(from, { name: 'PongAgent' });
    });
  }

  /** Everything received, in order (the kit's `received`). */
  get inbox(): Received<ProtocolMessage>[] {
    return this.received;
  }

  /** Status updates received, in order. */
  statuses(): MessageOf<'StatusUpdate'>['update']['status'][] {
    return this.all('StatusUpdate').map((m) => m.update.status);
  }
}

export interface AgentStub {
  runtime: Runtime;
  peer: Peer;
  pid: Pid;
  id: string;
  address: string;
}

export interface SchedulerStub {
  runtime: Runtime;
  peer: Peer;
  pid: Pid;
  id: string;
  info: FrameworkInfo;
}

let hostCounter = 1;

export class World {
  readonly network = new InMemoryNetwork();
  readonly clock = new ManualClock();
  readonly runtimes: Runtime[] = [];
  master!: MasterHandle;

  static async start(options: MasterOptions = {}): Promise<World> {
    const w = new World();
    w.master = await startMaster({ ip: '10.0.0.1', port: 5050, clock: w.clock, transport: w.network.transport(), random: seededRandom(42), ...options });
    w.runtimes.push(w.master.runtime);
    return w;
  }

  get masterId(): string {
    return this.master.master.id;
  }

  /** A runtime of its own on the network, for another stand-in. */
  async spawnRuntime(extra: Pick<RuntimeOptions, 'auth'> = {}): Promise<Runtime> {
    const rt = await Runtime.start({ ip: `10.0.1.${hostCounter++ % 250}`, port: 0, clock: this.clock, transport: this.network.transport(), validate: (_n, body) => validateMessage(body), ...extra });
    this.runtimes.push(rt);
    return rt;
  }

  /** Starts an agent stand-in and registers it; resolves once the master answered. */
  async agent(resources = 'cpus:4;mem:4096', options: { hostname?: string; checkpoint?: boolean; capabilities?: string[] } = {}): Promise<AgentStub> {
    const runtime = await this.spawnRuntime();
    const peer = runtime.spawn(new Peer(), 'agent(1)');
    peer.tell(this.master.pid, {
      name: 'RegisterAgent',
      agent: { hostname: options.hostname ?? runtime.address.split(':')[0]!, port: 5051, resources: Resources.parse(resources).toJSON(), attributes: [], ...(options.checkpoint !== undefined ? { checkpoint: options.checkpoint } : {}) },
      version: '1.11.0',
      ...(options.capabilities !== undefined ? { agent_capabilities: options.capabilities.map((type) => ({ type: type as 'MULTI_ROLE' })) } : {}),
    });
    await this.settle();
    const registered = peer.last('AgentRegistered');
    if (registered === undefined) throw new Error('agent was not registered');
    return { runtime, peer, pid: peer.self, id: registered.agent_id.value, address: runtime.address };
  }

  /** Starts a scheduler stand-in and registers its framework. */
  async scheduler(info: Partial<FrameworkInfo> = {}, id = `scheduler-${hostCounter}`): Promise<SchedulerStub> {
    const runtime = await this.spawnRuntime();
    const peer = runtime.spawn(new Peer(), id);
    const framework: FrameworkInfo = { user: 'tester', name: 'test framework', ...info };
    peer.tell(this.master.pid, { name: 'RegisterFramework', framework });
    await this.settle();
    const registered = peer.last('FrameworkRegistered');
    if (registered === undefined) throw new Error(`framework was not registered: ${peer.last('FrameworkError')?.message ?? 'no answer'}`);
    return { runtime, peer, pid: peer.self, id: registered.framework_id.value, info: { ...framework, id: registered.framework_id } };
  }

  async settle(): Promise<void> {
    await settle(this.runtimes);
  }

  /** Lets `ms` of clock time pass, stopping at every timer on the way so each fires in turn. */
  async pass(ms: number): Promise<void> {
    await advance(this.runtimes, ms);
  }

  async get(path: string): Promise<{ status: number; body: any }> {
    return this.http('GET', path);
  }

  /** A JSON answer comes back parsed, as a client reads it off the wire. */
  async http(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await this.network.http(this.master.address)(request(method, path, body));
    const isJson = res.headers?.['content-type']?.startsWith('application/json') === true;
    const raw = res.stream !== undefined ? await text(res.stream) : res.body instanceof Uint8Array ? Buffer.from(res.body).toString('utf8') : undefined;
    return { status: res.status, body: isJson && raw !== undefined ? JSON.parse(raw) : res.body };
  }

  async state(): Promise<any> {
    return (await this.get('/state')).body;
  }

  async metrics(): Promise<Record<string, number>> {
    return (await this.get('/metrics/snapshot')).body as Record<string, number>;
  }

  /** Messages some runtime refused as invalid: there must be none. */
  invalidMessages(): number {
    let n = 0;
    for (const rt of this.runtimes) {
      const m = rt.metrics.snapshot();
      n += (m['runtime/messages_dropped/invalid_body'] ?? 0) + (m['runtime/messages_dropped/unknown_message'] ?? 0) + (m['runtime/handler_errors'] ?? 0);
    }
    return n;
  }

  async stop(): Promise<void> {
    for (const rt of this.runtimes) await rt.stop();
  }
}


/** A command task for an offer. */
export function commandTask(id: string, offer: Offer, resources: string, extra: Partial<TaskInfo> = {}): TaskInfo {
  return { name: id, task_id: { value: id }, agent_id: offer.agent_id, resources: Resources.parse(resources).toJSON(), command: { value: 'sleep 100' }, ...extra };
}

/** A status update as an agent forwards it (uuid set, source EXECUTOR). */
export function agentUpdate(frameworkId: string, agentId: string, taskId: string, state: TaskState, latest?: TaskState): MessageOf<'StatusUpdate'> {
  const uuid = newUuid();
  const ts = 1_700_000_000;
  return {
    name: 'StatusUpdate',
    update: {
      framework_id: { value: frameworkId },
      agent_id: { value: agentId },
      status: { task_id: { value: taskId }, state, source: 'SOURCE_EXECUTOR', agent_id: { value: agentId }, uuid, timestamp: ts },
      timestamp: ts,
      uuid,
      ...(latest !== undefined ? { latest_state: latest } : {}),
    },
  };
}
