#!/usr/bin/env node
// mesos-trace: merges the trace files that runtimes write with --trace (or MESOS_TRACE) into
// one causal history and prints it as a sequence diagram: terminal text, Mermaid or HTML.
import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  TraceFileError,
  UnknownMessageError,
  filterHistory,
  followMessage,
  mergeTrace,
  readTraceFiles,
  renderHtml,
  renderMermaid,
  renderText,
} from './trace/index.js';
import type { BadLine, TraceFilter, TraceHistory } from './trace/index.js';
import { mesosStyleHelp } from './flags.js';
import { versionLine } from './version.js';

type Format = 'text' | 'mermaid' | 'html';

interface Options {
  format: Format;
  framework?: string;
  task?: string;
  agent?: string;
  name: string[];
  follow?: string;
  ancestors: boolean;
  ids?: boolean;
  width: number;
  output?: string;
}

function nonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must not be empty.');
  return value;
}

function names(value: string, previous: string[]): string[] {
  const more = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (more.length === 0) throw new InvalidArgumentError('expected a message name, e.g. RunTask.');
  return [...previous, ...more];
}

function width(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 20) throw new InvalidArgumentError('expected a whole number of columns, at least 20.');
  return n;
}

const program = new Command()
  .name('mesos-trace')
  .description('Merge trace files from many processes into one causal history and render it as a sequence diagram.')
  .version(versionLine('mesos-trace'), '--version', 'Prints the version and exits.')
  .helpOption('-h, --help', 'Prints this help message and exits.')
  .configureHelp({
    formatHelp: mesosStyleHelp({
      examples: [
        'mesos-trace traces/*.trace.jsonl',
        'mesos-trace --format=html -o flow.html --task=hello traces/*.trace.jsonl',
        'mesos-trace --follow=<message id> --format=mermaid traces/*.trace.jsonl',
      ],
    }),
  })
  .argument('<file...>', "trace files (JSON lines) written by runtimes with --trace; '-' reads stdin")
  .addOption(new Option('--format <format>', 'output format').choices(['text', 'mermaid', 'html']).default('text'))
  .option('--framework <id>', 'only messages carrying this framework_id', nonEmpty)
  .option('--task <id>', 'only messages carrying this task_id', nonEmpty)
  .option('--agent <id>', 'only messages carrying this agent_id', nonEmpty)
  .option('--name <names>', 'only messages with this name (repeat, or comma-separate)', names, [])
  .option('--follow <id>', 'only this message, its causes, and everything it caused', nonEmpty)
  .option('--no-ancestors', 'with --follow: leave out the chain of causes')
  .option('--ids', 'show message ids and causes (text and mermaid)')
  .option('--width <columns>', 'target width of the text diagram', width, 120)
  .option('-o, --output <file>', 'write to this file instead of stdout')
  .action(async (files: string[], opts: Options) => {
    let parsed;
    try {
      parsed = await readTraceFiles(files);
    } catch (err) {
      if (err instanceof TraceFileError) program.error(`error: ${err.message}`);
      throw err;
    }
    warn(parsed.bad);
    let history: TraceHistory = mergeTrace(parsed.events);
    if (history.duplicates > 0) {
      process.stderr.write(`mesos-trace: warning: ignored ${history.duplicates} duplicate line(s) (was a file given twice?)\n`);
    }
    if (opts.follow !== undefined) {
      try {
        history = followMessage(history, opts.follow, { ancestors: opts.ancestors });
      } catch (err) {
        if (err instanceof UnknownMessageError) program.error(`error: option '--follow': ${err.message}`);
        throw err;
      }
    }
    const filter: { -readonly [K in keyof TraceFilter]: TraceFilter[K] } = {};
    if (opts.framework !== undefined) filter.framework = opts.framework;
    if (opts.task !== undefined) filter.task = opts.task;
    if (opts.agent !== undefined) filter.agent = opts.agent;
    if (opts.name.length > 0) filter.names = opts.name;
    history = filterHistory(history, filter);
    if (history.messages.length === 0) process.stderr.write('mesos-trace: warning: no messages to show\n');

    const ids = opts.ids === true;
    const out =
      opts.format === 'html'
        ? renderHtml(history, { warnings: badSummary(parsed.bad) })
        : opts.format === 'mermaid'
          ? renderMermaid(history, { ids })
          : renderText(history, { ids, width: opts.width });
    if (opts.output === undefined) {
      process.stdout.write(out);
      return;
    }
    try {
      await writeFile(opts.output, out);
    } catch (err) {
      program.error(`error: option '--output': cannot write '${opts.output}': ${err instanceof Error ? err.message : String(err)}`);
    }
  });

function badSummary(bad: readonly BadLine[]): string[] {
  if (bad.length === 0) return [];
  const shown = bad.slice(0, 5).map((b) => `${b.source}:${b.line} (${b.reason})`).join(', ');
  const more = bad.length > 5 ? `, and ${bad.length - 5} more` : '';
  return [`skipped ${bad.length} malformed line${bad.length === 1 ? '' : 's'}: ${shown}${more}`];
}

function warn(bad: readonly BadLine[]): void {
  for (const line of badSummary(bad)) process.stderr.write(`mesos-trace: warning: ${line}\n`);
}

await program.parseAsync(process.argv);
