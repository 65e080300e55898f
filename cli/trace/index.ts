// mesos-trace as a library: read the JSON-lines trace files that runtimes write with --trace,
// merge them into one causal history, narrow it, and render it as text, Mermaid or HTML.

export type {
  BadLine,
  DeliveryStatus,
  ParsedTrace,
  TraceDirection,
  TraceEvent,
  TraceFilter,
  TraceHistory,
  TraceMessage,
} from './types.js';
export { TraceFileError, UnknownMessageError } from './errors.js';
export { parseTrace, parseTraceLine, readTraceFiles } from './parse.js';
export type { LineResult } from './parse.js';
export { mergeTrace } from './merge.js';
export { filterHistory, followMessage } from './filter.js';
export type { FollowOptions } from './filter.js';
export { participantsOf } from './actors.js';
export type { Participant } from './actors.js';
export { renderText } from './render-text.js';
export type { TextRenderOptions } from './render-text.js';
export { renderMermaid } from './render-mermaid.js';
export type { MermaidRenderOptions } from './render-mermaid.js';
export { renderHtml } from './render-html.js';
export type { HtmlRenderOptions } from './render-html.js';
