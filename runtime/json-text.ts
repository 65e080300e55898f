// JSON serialization that can embed JSON already written. A view that keeps the text of its
// unchanged parts (the master's tasks in `/state`) hands it over as a JsonText, and jsonText
// copies it into the answer instead of building and serializing those objects again.

import { randomBytes } from 'node:crypto';

/** The texts met by the jsonText call under way, and the mark that stands for each in its output. */
let writing: { texts: string[]; mark: string } | undefined;

/**
 * JSON text written earlier, embedded as is by jsonText. Whoever makes one vouches that it is
 * valid JSON. It goes in a plain object or an array (JSON.stringify calls toJSON once: one
 * returned by another toJSON would be written as an object).
 */
export class JsonText {
  constructor(readonly text: string) {}
  /** Called by JSON.stringify: under jsonText, stands in for the text; anywhere else, a bug. */
  toJSON(): string {
    if (writing === undefined) throw new Error('JsonText is serialized by jsonText, not JSON.stringify');
    writing.texts.push(this.text);
    return writing.mark;
  }
}

/**
 * As JSON.stringify(value), except that each JsonText in it is written as its text. The value is
 * serialized natively with a mark in place of each text, and the texts are put in at the marks
 * after. A mark is a string no other can equal: it starts with U+0000 and a random nonce made
 * for this call, which no peer can know to write into a name or a label.
 */
export function jsonText(value: unknown): string {
  return jsonPieces(value).join('');
}

/**
 * jsonText's answer as the pieces that make it, in order: the native serialization between the
 * marks, and the texts. All are strings that exist already, so a large answer can be written out
 * a piece at a time without ever being one string.
 */
export function jsonPieces(value: unknown): string[] {
  const outer = writing;
  const nonce = randomBytes(12).toString('base64url');
  const texts: string[] = [];
  writing = { texts, mark: `\u0000${nonce}` };
  let skeleton: string;
  try {
    skeleton = JSON.stringify(value);
  } finally {
    writing = outer;
  }
  if (texts.length === 0) return [skeleton];
  const between = skeleton.split(`"\\u0000${nonce}"`);
  if (between.length !== texts.length + 1) throw new Error(`jsonText: ${texts.length} texts but ${between.length - 1} marks`);
  const out: string[] = new Array(between.length + texts.length);
  for (let i = 0; i < texts.length; i++) {
    out[2 * i] = between[i]!;
    out[2 * i + 1] = texts[i]!;
  }
  out[out.length - 1] = between[between.length - 1]!;
  return out;
}
