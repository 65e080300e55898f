// The shared layer of the v1 HTTP APIs (scheduler, executor, operator): RecordIO framing,
// content negotiation, and the protobuf schema with Mesos's JSON mapping of the same messages.

export { encodeRecord, RecordIODecoder, RecordIOError } from './recordio.js';
export { acceptedMediaType, contentTypeOf, notAcceptable, requestMediaType, JSON_TYPE, PROTOBUF_TYPE, type MediaType } from './media.js';
export { decodeMessage, encodeMessage, extendSchema, toJSONText, v1Type, type Decoded } from './codec.js';
export { MESOS_V1_SCHEMA, type EnumSpec, type MessageSpec, type SchemaTable } from './schema.js';
