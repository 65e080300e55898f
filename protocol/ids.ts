// Identifiers: the formats the master assigns (`<masterId>-0000`, `-O<n>`, `-S<n>`), the rule
// for ids frameworks choose (task and executor ids), and the 16-byte UUIDs that status updates
// and acknowledgements carry.

import { randomUUID } from 'node:crypto';
import { ValidationError } from '../runtime/index.js';

/** Framework id: `<masterId>-<counter, 4 digits zero-padded>`. */
export function formatFrameworkId(masterId: string, n: number): string {
  return `${masterId}-${String(n).padStart(4, '0')}`;
}

/** Offer id: `<masterId>-O<n>`. */
export function formatOfferId(masterId: string, n: number): string {
  return `${masterId}-O${n}`;
}

/** Agent id: `<masterId>-S<n>`. */
export function formatAgentId(masterId: string, n: number): string {
  return `${masterId}-S${n}`;
}

/** The longest file name (NAME_MAX): framework-chosen ids become sandbox directory names. */
export const MAX_ID_LENGTH = 255;

/**
 * Checks an id a framework chose (TaskID, ExecutorID): they name sandbox directories, so they
 * must be usable as one path component. Returns what is wrong, or undefined.
 */
export function checkIdValue(value: string): string | undefined {
  if (value.length === 0) return 'it is empty';
  if (value.length > MAX_ID_LENGTH) return `it is longer than ${MAX_ID_LENGTH} characters`;
  if (value === '.' || value === '..') return `'${value}' is reserved`;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return `it contains the control character \\x${c.toString(16).padStart(2, '0')} at position ${i}`;
    if (c === 0x2f || c === 0x5c) return `it contains '${value[i]}' at position ${i}`;
  }
  return undefined;
}

/** A fresh random (version 4) UUID as the 16 raw bytes a TaskStatus.uuid carries. */
export function newUuid(): Uint8Array {
  return uuidFromString(randomUUID());
}

/** `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` for 16 bytes; the hex of the bytes otherwise. */
export function uuidToString(bytes: Uint8Array): string {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  if (bytes.length !== 16) return hex;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Parses the canonical text form; throws on anything else. */
export function uuidFromString(text: string): Uint8Array {
  const hex = text.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new ValidationError(`not a UUID: '${text}'`);
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

export function uuidEquals(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
