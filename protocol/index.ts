// Mesos's messages and data types, in one schema used everywhere: message bodies, HTTP
// payloads, /state entries, checkpoints and trace lines. Also Resources and task states.

export * from './types.js';
export * from './task-states.js';
export * from './messages.js';
export * from './ids.js';
export * from './validation.js';
export * from './resources.js';
export * from './legacy-json.js';

// Helpers shared by every role (explicit exports).
export { formatDuration, parseDuration, tryParseDuration } from './duration.js';
export { newTask } from './task.js';
export { startProtocolRuntime, type ProtocolRuntime, type ProtocolRuntimeOptions } from './start-runtime.js';
