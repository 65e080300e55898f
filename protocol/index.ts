// Mesos's messages and data types, in one schema used everywhere: message bodies, HTTP
// payloads, /state entries, checkpoints and trace lines. Also Resources and task states.

export * from './types.js';
export * from './task-states.js';
export * from './messages.js';
export * from './ids.js';
export * from './validation.js';
export * from './resources.js';
export * from './legacy-json.js';
