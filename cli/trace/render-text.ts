// Terminal rendering: one column per actor with its lifeline, one row per message, time going
// down with milliseconds since the trace's first message on the left. What does not fit in an
// arrow (a long name, a drop reason, ids) goes in a note to the right of the lanes.

import type { TraceHistory, TraceMessage } from './types.js';
import { formatMs, participantsOf, shorten } from './actors.js';

export interface TextRenderOptions {
  /** Target width of the lanes in columns (notes may run past it). Default 120. */
  readonly width?: number;
  /** Show each message's id and cause in its note. */
  readonly ids?: boolean;
}

const MIN_SPACING = 8;

export function renderText(history: TraceHistory, options: TextRenderOptions = {}): string {
  const messages = history.messages;
  if (messages.length === 0) return 'no messages to show\n';
  const actors = participantsOf(messages);
  const column = new Map(actors.map((a, i) => [a.pid, i]));
  const times = messages.map((m) => formatMs(m.at - history.origin));
  const timeWidth = times.reduce((w, t) => Math.max(w, t.length), 2);
  const gutter = timeWidth + 2;

  // Lifelines as far apart as the longest name between neighbours needs, unless that breaks
  // the width; then names are shortened in the arrow and given in full in the note. The outer
  // actors' labels only need half their length beyond the first and last lifeline.
  const longestName = messages.reduce((w, m) => (m.from === m.to ? w : Math.max(w, m.name.length)), 0);
  const longestLabel = actors.reduce((w, a) => Math.max(w, a.label.length), 0);
  const wanted = Math.max(longestName + 4, longestLabel + 2, MIN_SPACING);
  const labelWidth = (i: number): number => Math.min(actors[i]!.label.length, wanted - 1);
  const leftEdge = Math.floor((labelWidth(0) - 1) / 2);
  const rightEdge = Math.ceil((labelWidth(actors.length - 1) - 1) / 2) + 1;
  const spacing = actors.length === 1
    ? wanted
    : Math.max(MIN_SPACING, Math.min(wanted, Math.floor(((options.width ?? 120) - gutter - leftEdge - rightEdge) / (actors.length - 1))));
  const centre = (i: number): number => gutter + leftEdge + i * spacing;
  const laneWidth = centre(actors.length - 1) + rightEdge;

  const blankRow = (lifeline: string): string[] => {
    const row = new Array<string>(laneWidth).fill(' ');
    actors.forEach((_, i) => (row[centre(i)] = lifeline));
    return row;
  };

  // Labels wider than the spacing alternate between two header rows, which doubles their room.
  const stagger = actors.length > 1 && actors.some((a) => a.label.length > spacing - 1);
  const headers = [new Array<string>(laneWidth).fill(' '), new Array<string>(laneWidth).fill(' ')];
  put(headers[0]!, timeWidth - 2, 'ms');
  actors.forEach((a, i) => {
    const label = shorten(a.label, stagger ? 2 * spacing - 2 : spacing - 1);
    const start = centre(i) - Math.floor((label.length - 1) / 2);
    put(headers[stagger ? i % 2 : 0]!, Math.max(gutter, Math.min(start, laneWidth - label.length)), label);
  });
  const out = headers.slice(0, stagger ? 2 : 1).map((h) => h.join('').trimEnd());
  out.push(blankRow('┬').join('').trimEnd());

  messages.forEach((m, k) => {
    const row = blankRow('│');
    put(row, timeWidth - times[k]!.length, times[k]!);
    const notes: string[] = [];
    const from = column.get(m.from)!;
    const to = column.get(m.to)!;
    const shown = from === to
      ? drawSelf(row, centre(from), laneWidth, m)
      : drawArrow(row, centre(from), centre(to), m);
    if (shown !== m.name) notes.push(m.name);
    if (m.status === 'dropped') notes.push(`✗ ${m.dropReason ?? 'dropped'}${m.dropDetail === undefined ? '' : `: ${m.dropDetail}`}`);
    if (m.status === 'unconfirmed') notes.push('? no recv or drop line');
    if (options.ids === true) notes.push(`id=${m.id} cause=${m.cause ?? '-'}`);
    out.push(`${row.join('')}  ${notes.join('  ')}`.trimEnd());
  });

  out.push('', ...legend(actors), '', summary(history));
  return `${out.join('\n')}\n`;
}

/** Draws `├──Name──▶│` (or the mirror image); returns the name as it fits in the arrow. */
function drawArrow(row: string[], x1: number, x2: number, m: TraceMessage): string {
  const right = x2 > x1;
  const lo = Math.min(x1, x2);
  const hi = Math.max(x1, x2);
  const head = m.status === 'dropped' ? '✗' : m.status === 'unconfirmed' ? (right ? '▷' : '◁') : right ? '▶' : '◀';
  row[x1] = right ? '├' : '┤';
  for (let x = lo + 1; x < hi; x++) row[x] = row[x] === '│' ? '┼' : '─';
  row[right ? hi - 1 : lo + 1] = head;
  // Between the lifeline and the head, keeping at least one dash on each side.
  const room = hi - lo - 4;
  const label = room >= 2 ? shorten(m.name, room) : '';
  put(row, (right ? lo + 2 : lo + 3) + Math.floor((room - label.length) / 2), label);
  return label;
}

/** A message an actor sends itself: `├─↺ Name`, the name running right over empty lanes. */
function drawSelf(row: string[], x: number, laneWidth: number, m: TraceMessage): string {
  row[x] = '├';
  put(row, x + 1, m.status === 'dropped' ? '─✗ ' : '─↺ ');
  const label = shorten(m.name, laneWidth - (x + 4));
  put(row, x + 4, label);
  return label;
}

function put(row: string[], at: number, text: string): void {
  for (let i = 0; i < text.length && at + i < row.length; i++) {
    if (at + i >= 0) row[at + i] = text[i]!;
  }
}

function legend(actors: readonly { pid: string; label: string }[]): string[] {
  const w = actors.reduce((n, a) => Math.max(n, a.label.length), 0);
  return actors.map((a) => `  ${a.label.padEnd(w)}  ${a.pid}`);
}

function summary(history: TraceHistory): string {
  const n = history.messages.length;
  const dropped = history.messages.filter((m) => m.status === 'dropped').length;
  const unconfirmed = history.messages.filter((m) => m.status === 'unconfirmed').length;
  const extra = [dropped > 0 ? `${dropped} dropped` : '', unconfirmed > 0 ? `${unconfirmed} unconfirmed` : '']
    .filter((s) => s !== '')
    .join(', ');
  return `${n} message${n === 1 ? '' : 's'}${extra === '' ? '' : ` (${extra})`}; ` +
    `times in ms since ${new Date(history.origin).toISOString()}`;
}
