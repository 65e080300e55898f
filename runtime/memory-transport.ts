// An in-memory network for actor-tier tests: many runtimes in one OS process, each at its own
// made-up address, exchanging the same encoded frames as over WebSockets, in order, one event
// loop turn later. The network knows what is in flight, so settle() can wait for quiet, and it
// can cut connections between two runtimes to test what a broken link does.

import { IllegalStateError } from './errors.js';
import type { HttpHandler } from './http.js';
import type { Conn, Transport, TransportHandlers } from './transport.js';

class MemoryConn implements Conn {
  onOpen: () => void = () => {};
  onFrame: (frame: Uint8Array) => void = () => {};
  onClose: (reason: string) => void = () => {};
  other: MemoryConn | undefined;
  closed = false;

  constructor(
    private readonly network: InMemoryNetwork,
    readonly local: string,
    readonly remote: string,
  ) {}

  send(frame: Uint8Array): void {
    const other = this.other;
    if (this.closed || !other) return;
    this.network.deliver(() => {
      if (!other.closed) other.onFrame(frame.slice());
    });
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    const other = this.other;
    this.network.forget(this);
    this.network.deliver(() => this.onClose(reason));
    if (other && !other.closed) {
      other.closed = true;
      this.network.forget(other);
      this.network.deliver(() => other.onClose(reason));
    }
  }
}

export class InMemoryNetwork {
  private readonly listeners = new Map<string, TransportHandlers>();
  private readonly conns = new Set<MemoryConn>();
  private inFlight = 0;
  private nextPort = 5050;

  /** A transport for one runtime. Port 0 gets the next free made-up port. */
  transport(): Transport {
    const network = this;
    let address: string | undefined;
    return {
      async listen(host, port, handlers) {
        address = `${host}:${port === 0 ? network.nextPort++ : port}`;
        if (network.listeners.has(address)) throw new IllegalStateError(`address ${address} is in use`);
        network.listeners.set(address, handlers);
        return address;
      },
      dial(target) {
        return network.dial(address ?? 'unbound', target);
      },
      async close() {
        if (!address) return;
        network.listeners.delete(address);
        for (const c of [...network.conns]) if (c.local === address) c.close('runtime stopped');
      },
      idle() {
        return network.inFlight === 0;
      },
    };
  }

  /** Closes every connection between the runtimes at addresses a and b (both sides see it). */
  disconnect(a: string, b: string): void {
    for (const c of [...this.conns]) {
      if ((c.local === a && c.remote === b) || (c.local === b && c.remote === a)) c.close('connection reset');
    }
  }

  /** Serves an HTTP request as a real client would reach the runtime at address. */
  http(address: string): HttpHandler {
    return (req) => {
      const l = this.listeners.get(address);
      if (!l) return { status: 502, body: `nothing listens at ${address}` };
      return l.http(req);
    };
  }

  idle(): boolean {
    return this.inFlight === 0;
  }

  deliver(fn: () => void): void {
    this.inFlight++;
    setImmediate(() => {
      this.inFlight--;
      fn();
    });
  }

  forget(c: MemoryConn): void {
    this.conns.delete(c);
  }

  private dial(from: string, target: string): Conn {
    const local = new MemoryConn(this, from, target);
    this.conns.add(local);
    this.deliver(() => {
      const l = this.listeners.get(target);
      if (!l || local.closed) {
        local.closed = true;
        this.conns.delete(local);
        local.onClose(`connection refused by ${target}`);
        return;
      }
      const remote = new MemoryConn(this, target, from);
      this.conns.add(remote);
      local.other = remote;
      remote.other = local;
      l.connection(remote);
      local.onOpen();
    });
    return local;
  }
}
