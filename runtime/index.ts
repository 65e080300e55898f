// The actor runtime's public surface. It knows nothing of Mesos.

export { Actor, type Handlers } from './actor.js';
export { RealClock, ManualClock, type Clock, type Cancel } from './clock.js';
export { ProtocolError, ValidationError, IllegalStateError, InvariantError, invariant, setInvariantHandler, type ErrorOptions, type InvariantHandler } from './errors.js';
export { Filters, filterFromJson, type FilterSpec, type FilterView, type Side, type Verdict } from './filters.js';
export { JsonText, jsonText } from './json-text.js';
export { json, jsonNow, badRequest, notFound, request, withJsonp, type HttpHandler, type HttpRequest, type HttpResponse } from './http.js';
export { createLogger, pinoLevel, logControl, textLine, type Logger, type LogControl, type LogFormat, type LoggerOptions } from './log.js';
export { installLogRoutes } from './log-http.js';
export { InMemoryNetwork } from './memory-transport.js';
export type { DropReason, Envelope, InspectionEvent, Inspector, Message } from './message.js';
export { Metrics, Counter } from './metrics.js';
export { pid, parsePid, parseAddress, pidId, pidAddress, type Pid, type Accepts } from './pid.js';
export { seededRandom, type Random } from './random.js';
export { Runtime, PROTOCOL_VERSION, type RuntimeOptions } from './runtime.js';
export { settle, advance } from './settle.js';
export { startTrace, type Tracer, type TraceOptions } from './trace.js';
export type { Conn, Transport } from './transport.js';
export { WebSocketTransport, type WebSocketTransportOptions } from './ws-transport.js';
export { childExecArgv } from './node-args.js';
export { signalGroup } from './process-group.js';
export { clientTlsFromEnv, tlsFromEnv, type ClientTlsOptions, type TlsOptions } from './tls.js';
export { type AuthOptions, type Credential, type SecretLookup } from './handshake.js';
export { plainProblem, DEFAULT_LIMITS, type DecodeLimits } from './codec.js';
export { parseCredentials, loadCredentials, loadCredential } from './credentials.js';
