// Mesos-style flags for the command-line tools: `--work_dir=/x` names, values also taken from
// MESOS_<FLAG> environment variables (the command line wins), typed parsers for durations,
// bytes, ports, addresses and JSON, Mesos-like --help, and one-line errors that name the flag.

import { isZooKeeperUrl, parseZooKeeperUrl } from '../detector/index.js';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { Command, CommanderError, type Argument, type Help, type Option } from 'commander';
import { ValidationError } from '../runtime/index.js';
import { parseDuration } from '../protocol/index.js';
import { PACKAGE_VERSION } from './version.js';

// Durations are the protocol's (agents hand executors the same text); kept here for flag users.
export { formatDuration, parseDuration } from '../protocol/index.js';

/** A bad command line: `message` is one line naming the flag, printed as `error: <message>`. */
export class FlagError extends Error {
  override readonly name = 'FlagError';
}

/** `--help` or `--version`: print `text` on stdout and exit 0. */
export class FlagsExit extends Error {
  override readonly name = 'FlagsExit';
  constructor(readonly text: string) {
    super('help requested');
  }
}

/**
 * One flag. `parse` throws a ValidationError whose message says what is wrong with the value (without
 * the flag's name, which the caller adds). `D` records whether a value always exists (a
 * default or required), so parsed values are typed `T` rather than `T | undefined`.
 */
export interface Flag<T, D extends boolean = boolean> {
  readonly kind: 'value' | 'bool';
  readonly help: string;
  readonly parse: (raw: string) => T;
  /** The default as the user would write it; shown by --help and parsed like a given value. */
  readonly default?: string;
  readonly required?: boolean;
  /** Said after "--x is required" (e.g. an example value). */
  readonly requiredHint?: string;
  /** Read from the environment even where the command reads no other MESOS_* variable. */
  readonly env?: boolean;
  /** Left out of --help (flags for tests and for mesos-local's own children). */
  readonly hidden?: boolean;
  /** Type-level only: whether a value always exists. */
  readonly always?: D;
}

export interface FlagOptions {
  default?: string;
  required?: boolean;
  requiredHint?: string;
  env?: boolean;
  hidden?: boolean;
}

type Always<O> = O extends { default: string } ? true : O extends { required: true } ? true : false;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FlagSet = Record<string, Flag<any>>;

/** The parsed values of a flag set, `undefined` where a flag has no default and was not given. */
export type FlagValues<S extends FlagSet> = {
  -readonly [K in keyof S]: S[K] extends Flag<infer T, infer D> ? (D extends true ? T : T | undefined) : never;
};

export interface CommandSpec<S extends FlagSet> {
  /** The program's name, e.g. `mesos-master`. */
  name: string;
  /** What the program does, shown at the top of --help. */
  description: string;
  flags: S;
  /** Read every flag from MESOS_<FLAG> too (the daemons); false reads only flags marked `env`. */
  env: boolean;
  /** Lines shown under "Examples:" in --help. */
  examples?: readonly string[];
  /** Printed by --version (default: mesos-ts's version, from package.json, as every command prints it). */
  version?: string;
  /** Checks across flags once each is parsed (e.g. one of several required): the problem, one line, or undefined. */
  check?(values: FlagValues<S>): string | undefined;
}

export interface ParsedFlags<S extends FlagSet> {
  values: FlagValues<S>;
  /** Every flag that has a value, as text (given, from the environment, or default): what /flags shows. */
  text: Record<string, string>;
  /** Where each value came from. */
  source: Record<string, 'cli' | 'env' | 'default'>;
  /** MESOS_* variables in the environment that name no flag of this command (e.g. MESOS_ZK). */
  unknownEnv: string[];
}

/**
 * MESOS_* variables that are not flags: what an agent sets for executors and tasks, and the
 * runtime's own MESOS_TRACE; a command started inside a task sees them and must not complain.
 */
const NOT_FLAGS = new Set([
  'MESOS_TRACE', 'MESOS_TRACE_CAUSE', 'MESOS_TASK_ID', 'MESOS_FRAMEWORK_ID', 'MESOS_EXECUTOR_ID', 'MESOS_AGENT_ID', 'MESOS_SLAVE_ID', 'MESOS_AGENT_PID',
  'MESOS_SLAVE_PID', 'MESOS_AGENT_ENDPOINT', 'MESOS_SANDBOX', 'MESOS_DIRECTORY', 'MESOS_CHECKPOINT', 'MESOS_CONTAINER_NAME',
  'MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD', 'MESOS_RECOVERY_TIMEOUT', 'MESOS_SUBSCRIPTION_BACKOFF_MAX', 'MESOS_HTTP_COMMAND_EXECUTOR',
  'MESOS_EXECUTOR_AUTHENTICATION_TOKEN', 'MESOS_NATIVE_LIBRARY', 'MESOS_NATIVE_JAVA_LIBRARY', 'MESOS_FRAMEWORK_NAME',
]);

// ---------------------------------------------------------------------------------------------
// Flag builders

function define<T, O extends FlagOptions>(kind: 'value' | 'bool', help: string, parse: (raw: string) => T, opts: O | undefined): Flag<T, Always<O>> {
  const flag: { -readonly [K in keyof Flag<T>]: Flag<T>[K] } = { kind, help, parse };
  if (opts?.default !== undefined) flag.default = opts.default;
  if (opts?.required !== undefined) flag.required = opts.required;
  if (opts?.requiredHint !== undefined) flag.requiredHint = opts.requiredHint;
  if (opts?.env !== undefined) flag.env = opts.env;
  if (opts?.hidden !== undefined) flag.hidden = opts.hidden;
  return flag as Flag<T, Always<O>>;
}

export function stringFlag<O extends FlagOptions>(help: string, opts?: O): Flag<string, Always<O>> {
  return define('value', help, nonEmpty, opts);
}

/** A Mesos duration (`500ms`, `15secs`, `1mins`, `2hrs`, `1days`, `3weeks`) as milliseconds. */
export function durationFlag<O extends FlagOptions>(help: string, opts?: O): Flag<number, Always<O>> {
  return define('value', help, parseDuration, opts);
}

/** A Mesos byte size (`512MB`, `2GB`) as bytes. */
export function bytesFlag<O extends FlagOptions>(help: string, opts?: O): Flag<number, Always<O>> {
  return define('value', help, parseBytes, opts);
}

export function portFlag<O extends FlagOptions>(help: string, opts?: O): Flag<number, Always<O>> {
  return define('value', help, parsePort, opts);
}

export function ipFlag<O extends FlagOptions>(help: string, opts?: O): Flag<string, Always<O>> {
  return define('value', help, parseIp, opts);
}

export function intFlag<O extends FlagOptions>(help: string, range: { min?: number; max?: number }, opts?: O): Flag<number, Always<O>> {
  return define('value', help, (raw) => parseInteger(raw, range), opts);
}

export function numberFlag<O extends FlagOptions>(help: string, range: { min?: number; exclusiveMin?: boolean }, opts?: O): Flag<number, Always<O>> {
  return define('value', help, (raw) => parseNumber(raw, range), opts);
}

/** `--x`, `--x=true|false`, `--no-x`. */
export function boolFlag<O extends FlagOptions>(help: string, opts?: O): Flag<boolean, Always<O>> {
  return define('bool', help, parseBool, opts);
}

export function choiceFlag<const C extends readonly string[], O extends FlagOptions>(help: string, choices: C, opts?: O): Flag<C[number], Always<O>> {
  return define(
    'value',
    help,
    (raw) => {
      if (!(choices as readonly string[]).includes(raw)) throw new ValidationError(`'${raw}' is not one of ${choices.join(', ')}`);
      return raw as C[number];
    },
    opts,
  );
}

/** JSON, inline or `file:///path` (as Mesos's JSON flags); `check` may narrow the shape. */
export function jsonFlag<T, O extends FlagOptions>(help: string, check: (value: unknown) => T, opts?: O): Flag<T, Always<O>> {
  return define('value', help, (raw) => check(parseJson(raw)), opts);
}

/** A value checked (and perhaps converted) by `parse`, e.g. resources text. */
export function customFlag<T, O extends FlagOptions>(help: string, parse: (raw: string) => T, opts?: O): Flag<T, Always<O>> {
  return define('value', help, parse, opts);
}

// ---------------------------------------------------------------------------------------------
// Value parsers (each throws an Error saying what is wrong with the value)

function nonEmpty(raw: string): string {
  if (raw.trim() === '') throw new ValidationError('must not be empty');
  return raw;
}

const BYTE_UNITS: Readonly<Record<string, number>> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };

/** Mesos's byte sizes (`512MB`, `2GB`, `100B`; powers of 1024) as bytes. */
export function parseBytes(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(raw.trim());
  const size = m?.[2] === undefined ? undefined : BYTE_UNITS[m[2].toLowerCase()];
  if (m === null || size === undefined) throw new ValidationError(`'${raw}' is not a size (e.g. 512MB, 2GB)`);
  return Math.round(Number(m[1]) * size);
}

export function parsePort(raw: string): number {
  const t = raw.trim();
  const n = Number(t);
  if (!/^\d+$/.test(t) || n > 65535) throw new ValidationError(`'${raw}' is not a port (0-65535)`);
  return n;
}

export function parseIp(raw: string): string {
  const t = raw.trim();
  if (isIP(t) === 0) throw new ValidationError(`'${raw}' is not an IP address (e.g. 127.0.0.1)`);
  return t;
}

export function parseInteger(raw: string, range: { min?: number; max?: number } = {}): number {
  const t = raw.trim();
  const n = Number(t);
  const bounds = range.min !== undefined && range.max !== undefined ? ` from ${range.min} to ${range.max}` : range.min !== undefined ? ` of at least ${range.min}` : '';
  if (!/^[+-]?\d+$/.test(t) || (range.min !== undefined && n < range.min) || (range.max !== undefined && n > range.max)) {
    throw new ValidationError(`'${raw}' is not a whole number${bounds}`);
  }
  return n;
}

export function parseNumber(raw: string, range: { min?: number; exclusiveMin?: boolean } = {}): number {
  const t = raw.trim();
  const n = Number(t);
  const min = range.min;
  const bad = t === '' || !Number.isFinite(n) || (min !== undefined && (range.exclusiveMin ? n <= min : n < min));
  if (bad) throw new ValidationError(`'${raw}' is not a number${min === undefined ? '' : range.exclusiveMin ? ` above ${min}` : ` of at least ${min}`}`);
  return n;
}

export function parseBool(raw: string): boolean {
  const t = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(t)) return true;
  if (['false', '0', 'no', 'off'].includes(t)) return false;
  throw new ValidationError(`'${raw}' is not true or false`);
}

/** JSON text, or the contents of `file:///path` (Mesos's convention for JSON flags). */
export function parseJson(raw: string): unknown {
  let text = raw;
  if (raw.startsWith('file://')) {
    const path = raw.slice('file://'.length);
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ValidationError(`cannot read '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ValidationError(`'${raw}' is not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

/** A JSON object whose values are all strings (environment variables, labels). */
export function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError('expected a JSON object such as {"NAME": "value"}');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new ValidationError(`the value of '${k}' is not a string`);
    out[k] = v;
  }
  return out;
}

/** A comma-separated list (`a,b,c`), blanks dropped. */
export function parseList(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** `host:port`, `master@host:port`, or a ZooKeeper URL (`zk://…`, `file://…` holding one) to follow the leader. */
export function parseMasterAddress(raw: string): string {
  const t = raw.trim();
  if (isZooKeeperUrl(t)) {
    parseZooKeeperUrl(t);
    return t;
  }
  const address = t.includes('@') ? t.slice(t.indexOf('@') + 1) : t;
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  const port = address.slice(colon + 1);
  if (colon <= 0 || host === '' || !/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw new ValidationError(`'${raw}' is not host:port or master@host:port (e.g. 127.0.0.1:5050)`);
  }
  return t;
}

// ---------------------------------------------------------------------------------------------
// Parsing a command line

export function envName(flag: string): string {
  return `MESOS_${flag.toUpperCase()}`;
}

/** Parses argv (without the node and script paths). Throws FlagError or FlagsExit. */
export function parseFlags<S extends FlagSet>(spec: CommandSpec<S>, argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedFlags<S> {
  const program = new Command(spec.name)
    .allowExcessArguments(false)
    .helpOption('-h, --help', 'Prints this help message and exits.')
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined })
    .configureHelp({ formatHelp: () => helpText(spec) });
  program.version(`${spec.name} ${spec.version ?? PACKAGE_VERSION}`, '--version', 'Prints the version and exits.');
  for (const [name, flag] of Object.entries(spec.flags)) {
    if (flag.kind === 'bool') {
      program.option(`--${name} [bool]`);
      program.option(`--no-${name}`);
    } else {
      program.option(`--${name} <value>`);
    }
  }
  try {
    program.parse([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help') throw new FlagsExit(helpText(spec));
      if (err.code === 'commander.version') throw new FlagsExit(`${spec.name} ${spec.version ?? PACKAGE_VERSION}\n`);
      const missing = /option '--(\w+) <value>' argument missing/.exec(err.message);
      const message = missing ? `--${missing[1]}: missing value (write --${missing[1]}=VALUE)` : oneLine(err.message.replace(/^error: /, ''));
      throw new FlagError(`${message} (see ${spec.name} --help)`);
    }
    throw err;
  }

  const given = program.opts<Record<string, unknown>>();
  const values: Record<string, unknown> = {};
  const text: Record<string, string> = {};
  const source: Record<string, 'cli' | 'env' | 'default'> = {};
  for (const [name, flag] of Object.entries(spec.flags)) {
    let raw: string | undefined;
    let from: 'cli' | 'env' | 'default' | undefined;
    const cli = given[name];
    if (cli !== undefined) {
      raw = typeof cli === 'boolean' ? String(cli) : String(cli);
      from = 'cli';
    } else if ((spec.env || flag.env === true) && env[envName(name)] !== undefined) {
      raw = env[envName(name)];
      from = 'env';
    } else if (flag.default !== undefined) {
      raw = flag.default;
      from = 'default';
    }
    if (raw === undefined || from === undefined) {
      if (flag.required) throw new FlagError(`--${name} is required${flag.requiredHint ? ` (${flag.requiredHint})` : ''}`);
      continue;
    }
    try {
      values[name] = flag.parse(raw);
    } catch (err) {
      const where = from === 'env' ? `--${name} (from ${envName(name)})` : `--${name}`;
      throw new FlagError(oneLine(`${where}: ${(err as Error).message}`), { cause: err });
    }
    text[name] = raw;
    source[name] = from;
  }
  const unknownEnv: string[] = [];
  if (spec.env) {
    const known = new Set(Object.keys(spec.flags).map(envName));
    for (const k of Object.keys(env).sort()) if (k.startsWith('MESOS_') && !known.has(k) && !NOT_FLAGS.has(k)) unknownEnv.push(k);
  }
  const problem = spec.check?.(values as FlagValues<S>);
  if (problem !== undefined) throw new FlagError(problem);
  return { values: values as FlagValues<S>, text, source, unknownEnv };
}

/**
 * For entry points: parses process.argv and the environment; on --help prints the help and
 * exits 0, on a bad flag prints one line naming it on stderr and exits 1.
 */
export function parseFlagsOrExit<S extends FlagSet>(spec: CommandSpec<S>, argv: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): ParsedFlags<S> {
  try {
    const parsed = parseFlags(spec, argv, env);
    // Mesos's own daemons refuse an unknown flag; from the environment a stray variable is
    // more likely set for something else, so it is named, not fatal.
    for (const k of parsed.unknownEnv) process.stderr.write(`warning: ${k} is set but ${spec.name} has no flag --${k.slice(6).toLowerCase()}; ignoring it (see ${spec.name} --help)\n`);
    return parsed;
  } catch (err) {
    if (err instanceof FlagsExit) {
      process.stdout.write(err.text);
      process.exit(0);
    }
    if (err instanceof FlagError) exitWithError(err.message);
    throw err;
  }
}

/** `error: <message>` on stderr, one line, then exit 1: how every command reports a bad start. */
export function exitWithError(message: string): never {
  process.stderr.write(`error: ${oneLine(message)}\n`);
  process.exit(1);
}

function oneLine(text: string): string {
  return text
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .join(' ');
}

// ---------------------------------------------------------------------------------------------
// --help

const HELP_WIDTH = 100;

/** Mesos-like usage: `--name=VALUE` terms in alphabetical order, each with its default. */
export function helpText<S extends FlagSet>(spec: CommandSpec<S>): string {
  const rows: Array<[string, string]> = [];
  for (const name of Object.keys(spec.flags).sort()) {
    const flag = spec.flags[name]!;
    if (flag.hidden) continue;
    const term = flag.kind === 'bool' ? `--[no-]${name}` : `--${name}=VALUE`;
    let help = flag.help;
    if (flag.required) help += ' (required)';
    if (flag.default !== undefined) help += ` (default: ${flag.default})`;
    rows.push([term, help]);
  }
  rows.push(['--help', 'Prints this help message and exits.']);
  rows.push(['--version', 'Prints the version and exits.']);
  const lines: string[] = [`Usage: ${spec.name} [options]`, '', ...wrap(spec.description, HELP_WIDTH), '', ...helpRows(rows)];
  if (spec.env) {
    lines.push('', ...wrap('Every flag can also be set with an environment variable named MESOS_ and the flag in capitals (MESOS_WORK_DIR=/x for --work_dir=/x); the command line wins.', HELP_WIDTH));
  } else {
    const envFlags = Object.keys(spec.flags).filter((n) => spec.flags[n]!.env === true);
    if (envFlags.length > 0) lines.push('', ...wrap(`Also read from the environment: ${envFlags.map(envName).join(', ')}; the command line wins.`, HELP_WIDTH));
  }
  if (spec.examples && spec.examples.length > 0) lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  return `${lines.join('\n')}\n`;
}

/** Two columns, terms padded to one width (at most 40), help wrapped beside them. */
function helpRows(rows: ReadonlyArray<readonly [string, string]>): string[] {
  const lines: string[] = [];
  const termWidth = Math.min(40, Math.max(0, ...rows.map(([t]) => t.length)) + 2);
  for (const [term, help] of rows) {
    const body = wrap(help, HELP_WIDTH - termWidth - 2);
    const indent = ' '.repeat(termWidth + 2);
    if (term.length + 2 > termWidth) lines.push(`  ${term}`, ...body.map((l) => indent + l));
    else lines.push(`  ${term.padEnd(termWidth)}${body[0] ?? ''}`, ...body.slice(1).map((l) => indent + l));
  }
  return lines;
}

/**
 * The same --help for the commands built on commander's subcommands and arguments (mesos-trace,
 * mesos-operator, mesos): usage, description, `--name=VALUE` terms in alphabetical order with
 * their defaults, --help and --version last, then the arguments, the commands and examples.
 * Given to `configureHelp({ formatHelp })` before subcommands are added, so they inherit it.
 */
export function mesosStyleHelp(more: { examples?: readonly string[]; env?: string } = {}): (cmd: Command, helper: Help) => string {
  return (cmd, helper) => {
    const term = (o: Option): string => {
      const name = o.long ?? o.short ?? o.flags;
      const value = o.required || o.optional ? '=VALUE' : '';
      return o.short !== undefined && o.long !== undefined ? `${o.short}, ${o.long}${value}` : `${name}${value}`;
    };
    const describe = (o: Option): string => {
      let help = o.description;
      if (o.argChoices !== undefined) help += ` (one of: ${o.argChoices.join(', ')})`;
      if (o.mandatory) help += ' (required)';
      if (!o.negate && o.defaultValue !== undefined && typeof o.defaultValue !== 'boolean' && !(Array.isArray(o.defaultValue) && o.defaultValue.length === 0)) help += ` (default: ${String(o.defaultValue)})`;
      return help;
    };
    const argTerm = (a: Argument): string => (a.required ? `<${a.name()}${a.variadic ? '...' : ''}>` : `[${a.name()}${a.variadic ? '...' : ''}]`);
    const last = (o: Option): number => (o.long === '--help' ? 2 : o.long === '--version' ? 3 : 1);
    const options = helper.visibleOptions(cmd).sort((a, b) => last(a) - last(b) || (a.long ?? '').replace(/^--(no-)?/, '').localeCompare((b.long ?? '').replace(/^--(no-)?/, '')));
    const lines: string[] = [`Usage: ${helper.commandUsage(cmd)}`, '', ...wrap(helper.commandDescription(cmd), HELP_WIDTH), ''];
    const args = helper.visibleArguments(cmd).map((a) => [argTerm(a), helper.argumentDescription(a)] as const);
    if (args.length > 0) lines.push(...helpRows(args), '');
    lines.push(...helpRows(options.map((o) => [term(o), describe(o)] as const)));
    const leaves: Array<readonly [string, string]> = [];
    const walk = (c: Command, prefix: string): void => {
      for (const sub of helper.visibleCommands(c)) {
        if (sub.name() === 'help') continue;
        const path = `${prefix}${sub.name()}`;
        const children = helper.visibleCommands(sub).filter((s) => s.name() !== 'help');
        if (children.length === 0) leaves.push([`${path}${sub.registeredArguments.map((a) => ` ${argTerm(a)}`).join('')}`, sub.description()]);
        else walk(sub, `${path} `);
      }
    };
    walk(cmd, '');
    if (leaves.length > 0) lines.push('', 'Commands (each takes --help):', ...helpRows(leaves));
    if (more.env !== undefined) lines.push('', ...wrap(more.env, HELP_WIDTH));
    if (more.examples !== undefined && more.examples.length > 0 && cmd.parent === null) lines.push('', 'Examples:', ...more.examples.map((e) => `  ${e}`));
    return `${lines.join('\n')}\n`;
  };
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter((w) => w !== '')) {
      if (line !== '' && line.length + 1 + word.length > width) {
        out.push(line);
        line = word;
      } else line = line === '' ? word : `${line} ${word}`;
    }
    out.push(line);
  }
  return out;
}
