// The fault-injection endpoints a runtime serves with `testEndpoints` (the commands'
// --enable_test_endpoints), so a test can shape the traffic of a real process from outside:
//   GET    /__filters__            the filters in force
//   POST   /__filters__            adds one (JSON: filters.ts's filterFromJson); answers {"id": N}
//   DELETE /__filters__?id=N       removes that one; without id, every filter
//   POST   /__connections__/break  {"peer": "ip:port"}: this end drops its connection to that
//                                  runtime without telling it (a one-way partition; see
//                                  Runtime.breakConnection)

import { ValidationError } from './errors.js';
import { filterFromJson, type Filters } from './filters.js';
import { badRequest, json, notFound, type HttpRequest, type HttpResponse } from './http.js';

function methodNotAllowed(req: HttpRequest, allow: string): HttpResponse {
  return { status: 405, headers: { allow, 'content-type': 'text/plain; charset=utf-8' }, body: `Expecting ${allow} for ${req.path}, got ${req.method}` };
}

function jsonBody(req: HttpRequest): unknown {
  try {
    return JSON.parse(Buffer.from(req.body).toString('utf8')) as unknown;
  } catch {
    throw new ValidationError('the body must be JSON');
  }
}

export function filterEndpoint(filters: Filters, req: HttpRequest): HttpResponse {
  try {
    switch (req.method) {
      case 'GET':
        return json(filters.list());
      case 'POST':
        return json({ id: filters.drop(filterFromJson(jsonBody(req))) });
      case 'DELETE': {
        const id = req.query.get('id');
        if (id === null) {
          filters.clear();
          return json({ cleared: true });
        }
        if (!/^\d{1,9}$/.test(id)) return badRequest(`id must be a filter's number, not '${id.slice(0, 32)}'`);
        return filters.remove(Number(id)) ? json({ removed: Number(id) }) : notFound(`No filter ${id}`);
      }
      default:
        return methodNotAllowed(req, 'GET, POST, DELETE');
    }
  } catch (err) {
    if (err instanceof ValidationError) return badRequest(err.message);
    throw err;
  }
}

export type BreakOutcome = 'broken' | 'no_connection' | 'unsupported';

export function breakEndpoint(breakConnection: (peer: string) => BreakOutcome, req: HttpRequest): HttpResponse {
  if (req.method !== 'POST') return methodNotAllowed(req, 'POST');
  let peer: unknown;
  try {
    peer = req.query.get('peer') ?? (jsonBody(req) as { peer?: unknown } | null)?.peer;
  } catch (err) {
    return badRequest((err as Error).message);
  }
  if (typeof peer !== 'string' || !/^[^\s@/]{1,255}:\d{1,5}$/.test(peer)) return badRequest('expected {"peer": "ip:port"}: the address of the runtime at the other end');
  const outcome = breakConnection(peer);
  if (outcome === 'no_connection') return notFound(`No open connection to ${peer}`);
  if (outcome === 'unsupported') return { status: 501, body: 'This transport cannot break a connection at one end only' };
  return json({ broken: peer });
}
