// Content negotiation for the v1 APIs, as Mesos's master does it: the request body is JSON or
// protobuf by its Content-Type (415 otherwise), the response by the Accept header (406 when it
// allows neither; JSON wins when both are acceptable; no Accept means anything).

export const JSON_TYPE = 'application/json';
export const PROTOBUF_TYPE = 'application/x-protobuf';
export type MediaType = 'json' | 'protobuf';

export function contentTypeOf(media: MediaType): string {
  return media === 'json' ? JSON_TYPE : PROTOBUF_TYPE;
}

/**
 * The request body's media type, or the status and message that refuse it. Parameters such as
 * `; charset=utf-8` are ignored (Mesos compares the whole header and answers 415).
 */
export function requestMediaType(headers: Readonly<Record<string, string | undefined>>): MediaType | { status: 400 | 415; message: string } {
  const raw = headers['content-type'];
  if (raw === undefined || raw.trim() === '') return { status: 400, message: "Expecting 'Content-Type' to be present" };
  const type = raw.split(';')[0]!.trim().toLowerCase();
  if (type === JSON_TYPE) return 'json';
  if (type === PROTOBUF_TYPE) return 'protobuf';
  return { status: 415, message: `Expecting 'Content-Type' of ${JSON_TYPE} or ${PROTOBUF_TYPE}` };
}

/** The response's media type by the Accept header, or undefined (406) when it accepts neither. */
export function acceptedMediaType(headers: Readonly<Record<string, string | undefined>>): MediaType | undefined {
  const raw = headers['accept'];
  if (raw === undefined || raw.trim() === '') return 'json';
  const json = quality(raw, JSON_TYPE);
  const protobuf = quality(raw, PROTOBUF_TYPE);
  if (json <= 0 && protobuf <= 0) return undefined;
  return json >= protobuf ? 'json' : 'protobuf';
}

export function notAcceptable(): { status: 406; message: string } {
  return { status: 406, message: `Expecting 'Accept' to allow ${JSON_TYPE} or ${PROTOBUF_TYPE}` };
}

/** The q-value `accept` gives `media`: its most specific matching range wins (type/subtype, type/*, then *\/*). */
function quality(accept: string, media: string): number {
  const [type] = media.split('/');
  let best = -1;
  let bestRank = -1;
  for (const part of accept.split(',')) {
    const [range, ...params] = part.trim().toLowerCase().split(';');
    if (range === undefined || range === '') continue;
    const rank = range === media ? 3 : range === `${type}/*` ? 2 : range === '*/*' ? 1 : 0;
    if (rank === 0 || rank < bestRank) continue;
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split('=');
      if (k === 'q' && v !== undefined) q = Number.isFinite(Number(v)) ? Number(v) : 0;
    }
    if (rank > bestRank) {
      bestRank = rank;
      best = q;
    }
  }
  return best;
}
