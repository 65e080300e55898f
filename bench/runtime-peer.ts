// The far side of the runtime benchmark, in its own OS process. `runtime` mode hosts a sink
// that reports when it has counted `total` messages and an echo for ping-pong; `raw` mode is
// the baseline: a bare ws server that decodes the same MessagePack batches and counts them, and
// echoes text frames for the raw ping-pong.

import { unpackMultiple } from 'msgpackr';
import { WebSocketServer } from 'ws';
import { Actor, Runtime, startTrace, type Handlers } from '../runtime/index.js';
import { secureOptions } from './runtime-secure.js';

type Seq = { name: 'Seq'; n: number; total: number; payload: string };
type Ping = { name: 'Ping'; seq: number };

class Sink extends Actor<Seq> {
  private count = 0;
  protected readonly handlers: Handlers<Seq> = {
    Seq: (m, from) => {
      if (++this.count === m.total && from) {
        this.send(from, { name: 'Done', count: this.count });
        this.count = 0;
      }
    },
  };
}

class Echo extends Actor<Ping> {
  protected readonly handlers: Handlers<Ping> = {
    Ping: (m, from) => from && this.send(from, { name: 'Pong', seq: m.seq }),
  };
}

const mode = process.argv[2];
if (mode === 'raw') {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  wss.on('connection', (ws) => {
    let count = 0;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      // A text frame is a ping of the raw round-trip baseline: echoed as it came.
      if (!isBinary) return ws.send(data, { binary: false });
      unpackMultiple(data, (item: unknown) => {
        const total = (item as [string, string, string, string, null, Seq])[5].total;
        if (++count === total) {
          ws.send('done');
          count = 0;
        }
      });
    });
  });
  wss.on('listening', () => process.stdout.write(JSON.stringify({ address: `127.0.0.1:${(wss.address() as { port: number }).port}` }) + '\n'));
} else {
  const rt = await Runtime.start(secureOptions());
  if (process.argv[3]) startTrace(rt, process.argv[3]);
  rt.spawn(new Sink(), 'sink');
  rt.spawn(new Echo(), 'echo');
  process.stdout.write(JSON.stringify({ address: rt.address }) + '\n');
}
process.on('SIGTERM', () => process.exit(0));
