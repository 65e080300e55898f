// Mesos's local authorizer, shared by the master and the agents (docs/authorization.md): `--acls` as JSON, a list of rules per action,
// each naming subjects (principals) and objects (roles, users, framework principals…) as
// `{"values": [...]}` or `{"type": "ANY" | "NONE"}`. The first rule whose subject matches
// decides: its object either matches (allowed) or not (denied); when no rule matches, the
// `permissive` default (true) decides. Pure: no I/O, so it is unit-tested alone.

import { readFileSync } from 'node:fs';

/** The actions `--acls` can name, in Mesos's spelling, with the JSON keys of subject and object. */
export const ACTIONS = {
  register_frameworks: ['principals', 'roles'],
  run_tasks: ['principals', 'users'],
  teardown_frameworks: ['principals', 'framework_principals'],
  update_quotas: ['principals', 'roles'],
  update_weights: ['principals', 'roles'],
  view_frameworks: ['principals', 'users'],
  view_tasks: ['principals', 'users'],
  access_sandboxes: ['principals', 'users'],
  get_endpoints: ['principals', 'paths'],
  reserve_resources: ['principals', 'roles'],
  unreserve_resources: ['principals', 'reserver_principals'],
  create_volumes: ['principals', 'roles'],
  destroy_volumes: ['principals', 'creator_principals'],
  mark_agents_gone: ['principals', 'agents'],
} as const;

export type Action = keyof typeof ACTIONS;

/** One side of a rule: these values, anyone, or no one. */
export type Entity = { kind: 'any' } | { kind: 'none' } | { kind: 'some'; values: ReadonlySet<string> };

export interface Rule {
  subject: Entity;
  object: Entity;
}

export interface Acls {
  permissive: boolean;
  rules: Readonly<Partial<Record<Action, readonly Rule[]>>>;
}

export const PERMISSIVE: Acls = { permissive: true, rules: {} };

function entity(v: unknown, where: string): Entity {
  if (v === undefined) return { kind: 'any' };
  if (typeof v !== 'object' || v === null) throw new Error(`${where}: expected {"values": [...]} or {"type": "ANY"|"NONE"}`);
  const o = v as { values?: unknown; type?: unknown };
  if (o.values !== undefined) {
    if (!Array.isArray(o.values) || !o.values.every((x) => typeof x === 'string')) throw new Error(`${where}.values: expected an array of strings`);
    return { kind: 'some', values: new Set(o.values as string[]) };
  }
  if (o.type === 'ANY') return { kind: 'any' };
  if (o.type === 'NONE') return { kind: 'none' };
  throw new Error(`${where}: expected "values" or "type" ANY/NONE`);
}

/** Parses Mesos's ACL JSON; throws with the path of what is wrong. Unknown actions are refused. */
export function parseAcls(json: unknown): Acls {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('ACLs must be a JSON object');
  const o = json as Record<string, unknown>;
  const permissive = o['permissive'] ?? true;
  if (typeof permissive !== 'boolean') throw new Error("'permissive' must be a boolean");
  const rules: Partial<Record<Action, Rule[]>> = {};
  for (const [key, value] of Object.entries(o)) {
    if (key === 'permissive') continue;
    if (!Object.hasOwn(ACTIONS, key)) throw new Error(`unknown ACL action '${key}'`);
    const action = key as Action;
    if (!Array.isArray(value)) throw new Error(`'${key}' must be an array of rules`);
    const [subjectKey, objectKey] = ACTIONS[action];
    rules[action] = value.map((r: unknown, i) => {
      if (typeof r !== 'object' || r === null) throw new Error(`${key}[${i}] must be an object`);
      const rule = r as Record<string, unknown>;
      return { subject: entity(rule[subjectKey], `${key}[${i}].${subjectKey}`), object: entity(rule[objectKey], `${key}[${i}].${objectKey}`) };
    });
  }
  return { permissive, rules };
}

/** `--acls`: a JSON text, or a path to a file holding one (optionally `file://`). */
export function loadAcls(flag: string): Acls {
  const text = flag.trimStart().startsWith('{') ? flag : readFileSync(flag.replace(/^file:\/\//, ''), 'utf8');
  return parseAcls(JSON.parse(text));
}

function matches(e: Entity, value: string | undefined): boolean {
  if (e.kind === 'any') return true;
  if (e.kind === 'none') return false;
  return value !== undefined && e.values.has(value);
}

/**
 * May `principal` (undefined: unauthenticated, which only an ANY subject matches) do `action`
 * on `object`? As Mesos's LocalAuthorizer: the first rule whose subject matches decides.
 */
export function authorized(acls: Acls, action: Action, principal: string | undefined, object: string | undefined): boolean {
  for (const rule of acls.rules[action] ?? []) {
    // A NONE subject stands for requests that carry no principal.
    const subject = rule.subject.kind === 'some' ? principal !== undefined && rule.subject.values.has(principal) : rule.subject.kind === 'any' || principal === undefined;
    if (!subject) continue;
    return matches(rule.object, object);
  }
  return acls.permissive;
}
