// The runtime on its own: two OS processes whose actors exchange messages, each tracing to a
// file, and the merged flow drawn as a sequence diagram. Run with `npx tsx examples/runtime-demo.ts`.

import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Actor, Runtime, pid, startTrace, type Handlers, type Pid } from '../runtime/index.js';
// `mesos-ts/trace` in the package, as `../runtime/index.js` is `mesos-ts/runtime`.
import { mergeTrace, readTraceFiles, renderText } from '../cli/trace/index.js';

type Ping = { name: 'Ping'; seq: number };
type Pong = { name: 'Pong'; seq: number };

class Ponger extends Actor<Ping> {
  protected readonly handlers: Handlers<Ping> = { Ping: (m, from) => from && this.send(from, { name: 'Pong', seq: m.seq }) };
}

class Pinger extends Actor<Pong> {
  done: () => void = () => {};
  constructor(
    private readonly peer: Pid<Ping>,
    private readonly rounds: number,
  ) {
    super();
  }
  protected readonly handlers: Handlers<Pong> = {
    Pong: (m) => (m.seq < this.rounds ? this.send(this.peer, { name: 'Ping', seq: m.seq + 1 }) : this.done()),
  };
  override initialize(): void {
    this.send(this.peer, { name: 'Ping', seq: 1 });
  }
}

if (process.argv[2] === 'ponger') {
  const rt = await Runtime.start();
  const tracer = startTrace(rt, process.argv[3]!);
  rt.spawn(new Ponger(), 'ponger');
  process.on('SIGTERM', () => {
    tracer.stop();
    process.exit(0);
  });
  console.log(JSON.stringify({ address: rt.address }));
} else {
  const dir = mkdtempSync(join(tmpdir(), 'mesos-ts-demo-'));
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'ponger', join(dir, 'ponger.jsonl')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const { address } = JSON.parse(await new Promise<string>((r) => createInterface({ input: child.stdout! }).once('line', r))) as { address: string };
  const rt = await Runtime.start();
  const tracer = startTrace(rt, join(dir, 'pinger.jsonl'));
  const pinger = new Pinger(pid<Ping>('ponger', address), 3);
  const finished = new Promise<void>((r) => (pinger.done = r));
  rt.spawn(pinger, 'pinger');
  await finished;
  tracer.stop();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await rt.stop();
  const trace = await readTraceFiles([join(dir, 'pinger.jsonl'), join(dir, 'ponger.jsonl')]);
  console.log(`Two processes (${rt.address} and ${address}) exchanged 3 pings; traces in ${dir}\n`);
  console.log(renderText(mergeTrace(trace.events)));
}
