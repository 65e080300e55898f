// jsonText: JSON.stringify with kept texts put in at their places, which no string in the value can forge.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JsonText, jsonText } from '../../runtime/index.js';
import { jsonPieces } from '../../runtime/json-text.js';

/** The value with each JsonText replaced by what its text parses to: what jsonText must write. */
function expanded(v: unknown): unknown {
  if (v instanceof JsonText) return JSON.parse(v.text);
  if (Array.isArray(v)) return v.map(expanded);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expanded(x)]));
  return v;
}

const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue(),
    // Strings that look like marks: U+0000, quotes, backslashes.
    fc.string({ unit: fc.constantFrom('\u0000', '"', '\\', 'u', '0', 'a') }),
    fc.jsonValue().map((j) => new JsonText(JSON.stringify(j))),
    fc.array(tie('tree'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 4 }), tie('tree'), { maxKeys: 4 }),
  ),
}));

/** The kept texts in the value, in the order JSON.stringify reaches them. */
function keptTexts(v: unknown, out: string[] = []): string[] {
  if (v instanceof JsonText) out.push(v.text);
  else if (Array.isArray(v)) for (const x of v) keptTexts(x, out);
  else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) keptTexts(x, out);
  return out;
}

test('jsonText writes each kept text in its place, and parses back to the value with the texts expanded', () => {
  fc.assert(
    fc.property(tree, (v) => {
      assert.deepEqual(JSON.parse(jsonText(v)), JSON.parse(JSON.stringify(expanded(v))));
    }),
    { numRuns: 500 },
  );
});

test('jsonPieces hands each kept text over as a piece of its own, in order, between the native parts', () => {
  fc.assert(
    fc.property(tree, (v) => {
      const texts = keptTexts(v);
      const pieces = jsonPieces(v);
      if (texts.length === 0) return assert.equal(pieces.length, 1);
      assert.equal(pieces.length, 2 * texts.length + 1);
      texts.forEach((t, i) => assert.equal(pieces[2 * i + 1], t));
    }),
    { numRuns: 500 },
  );
});

test('a toJSON part may return kept texts in an array, and a string holding U+0000 and quotes stays a string', () => {
  const v = { a: { toJSON: () => [new JsonText('[1,2]')] }, b: '\u0000"x"', c: [new JsonText('{"k":"\\u0000"}')] };
  assert.deepEqual(JSON.parse(jsonText(v)), { a: [[1, 2]], b: '\u0000"x"', c: [{ k: '\u0000' }] });
});

test('a JsonText reached by JSON.stringify is an error, not {"text":…}', () => {
  assert.throws(() => JSON.stringify({ t: new JsonText('1') }), /serialized by jsonText/);
});
