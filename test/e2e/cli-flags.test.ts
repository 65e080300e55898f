// The commands' flags as a user meets them: --help lists Mesos's flag names with defaults, and
// every bad value or missing flag ends the command with one line naming the flag, exit code 1.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FlagError,
  FlagsExit,
  boolFlag,
  durationFlag,
  formatDuration,
  parseBytes,
  parseDuration,
  parseFlags,
  portFlag,
  stringFlag,
  type CommandSpec,
  type FlagSet,
} from '../../cli/flags.js';
import { AGENT_SPEC } from '../../cli/agent-flags.js';
import { EXECUTE_SPEC } from '../../cli/execute-flags.js';
import { LOCAL_SPEC } from '../../cli/local-flags.js';
import { MASTER_SPEC } from '../../cli/master-flags.js';
import { cleanEnv, run } from '../fixtures/cli-run.js';

/** One line on stderr that starts with `error: ` and names `flag`, nothing on stdout, exit 1. */
function assertOneLineError(r: { code: number | null; stdout: string; stderr: string }, flag: string | RegExp): void {
  assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${r.stderr}`);
  assert.match(lines[0]!, /^error: /);
  if (typeof flag === 'string') assert.ok(lines[0]!.includes(flag), `'${lines[0]}' names ${flag}`);
  else assert.match(lines[0]!, flag);
  assert.equal(r.stdout, '');
}

describe('cli flags (library)', () => {
  const spec = {
    name: 'demo',
    description: 'A demo.',
    env: true,
    flags: {
      port: portFlag('Port.', { default: '5050' }),
      timeout: durationFlag('Timeout.', { default: '15secs' }),
      work_dir: stringFlag('Work dir.'),
      quiet: boolFlag('Quiet.', { default: 'false' }),
    },
  };

  it('parses Mesos durations and byte sizes', () => {
    assert.equal(parseDuration('15secs'), 15_000);
    assert.equal(parseDuration('1mins'), 60_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('2hrs'), 7_200_000);
    assert.equal(parseDuration('1days'), 86_400_000);
    assert.equal(parseDuration('3weeks'), 3 * 604_800_000);
    assert.equal(parseDuration('1.5secs'), 1500);
    assert.throws(() => parseDuration('10'), /'10' is not a duration/);
    assert.throws(() => parseDuration('ten secs'), /is not a duration/);
    assert.equal(formatDuration(15_000), '15secs');
    assert.equal(formatDuration(600_000), '10mins');
    assert.equal(formatDuration(1500), '1500ms');
    assert.equal(parseBytes('512MB'), 512 * 1024 * 1024);
    assert.equal(parseBytes('2GB'), 2 * 1024 ** 3);
    assert.throws(() => parseBytes('512'), /'512' is not a size/);
  });

  it('takes a flag from MESOS_<FLAG> unless the command line gives it', () => {
    const fromEnv = parseFlags(spec, [], { MESOS_PORT: '6060', MESOS_WORK_DIR: '/w', MESOS_QUIET: 'true' });
    assert.equal(fromEnv.values.port, 6060);
    assert.equal(fromEnv.values.work_dir, '/w');
    assert.equal(fromEnv.values.quiet, true);
    assert.equal(fromEnv.source['port'], 'env');
    const both = parseFlags(spec, ['--port=7070', '--no-quiet'], { MESOS_PORT: '6060', MESOS_QUIET: 'true' });
    assert.equal(both.values.port, 7070);
    assert.equal(both.values.quiet, false);
    assert.equal(both.values.timeout, 15_000);
    assert.deepEqual(both.text, { port: '7070', timeout: '15secs', quiet: 'false' });
  });

  it('accepts --flag=value, --flag value and boolean forms', () => {
    const p = parseFlags(spec, ['--port', '1', '--timeout=2mins', '--quiet'], {});
    assert.equal(p.values.port, 1);
    assert.equal(p.values.timeout, 120_000);
    assert.equal(p.values.quiet, true);
    assert.equal(parseFlags(spec, ['--quiet=false'], {}).values.quiet, false);
  });

  it('says which flag is wrong, and where the value came from', () => {
    assert.throws(() => parseFlags(spec, ['--port=abc'], {}), (e: unknown) => e instanceof FlagError && e.message === "--port: 'abc' is not a port (0-65535)");
    assert.throws(() => parseFlags(spec, [], { MESOS_TIMEOUT: 'soon' }), (e: unknown) => e instanceof FlagError && e.message.startsWith("--timeout (from MESOS_TIMEOUT): 'soon' is not a duration"));
    assert.throws(() => parseFlags(spec, ['--prot=1'], {}), (e: unknown) => e instanceof FlagError && /unknown option '--prot=1'.*--port/.test(e.message));
    assert.throws(() => parseFlags(spec, ['--help'], {}), (e: unknown) => e instanceof FlagsExit && e.text.includes('--port=VALUE'));
  });
});

describe('cli flags of each command', () => {
  const specs = { 'mesos-master': MASTER_SPEC, 'mesos-agent': AGENT_SPEC, 'mesos-execute': EXECUTE_SPEC, 'mesos-local': LOCAL_SPEC } as const;
  const cases: Array<[keyof typeof specs, string[], string | RegExp, Record<string, string>?]> = [
    ['mesos-master', ['--port=abc'], "--port: 'abc' is not a port (0-65535)"],
    ['mesos-master', ['--port=70000'], "--port: '70000' is not a port (0-65535)"],
    ['mesos-master', ['--allocation_interval=10'], "--allocation_interval: '10' is not a duration"],
    ['mesos-master', ['--agent_ping_timeout=fast'], '--agent_ping_timeout'],
    ['mesos-master', ['--max_agent_ping_timeouts=0'], '--max_agent_ping_timeouts'],
    ['mesos-master', ['--ip=localhost:1'], '--ip'],
    ['mesos-master', ['--weights=dev=-1'], '--weights'],
    ['mesos-master', ['--roles=a,b/'], '--roles'],
    ['mesos-master', ['--role_policies=batch=lottery'], '--role_policies'],
    ['mesos-master', ['--min_allocatable_resources=cpus:x'], '--min_allocatable_resources'],
    ['mesos-master', ['--logging_level=LOUD'], '--logging_level'],
    ['mesos-master', ['--no_such_flag=1'], /unknown option '--no_such_flag=1'/],
    ['mesos-master', ['--port'], /^--port: missing value/],
    ['mesos-master', ['stray'], /too many arguments/],
    ['mesos-master', [], '--port (from MESOS_PORT)', { MESOS_PORT: 'x' }],
    ['mesos-agent', ['--work_dir=/tmp/x'], /^--master is required/],
    ['mesos-agent', ['--master=127.0.0.1:5050'], /^--work_dir is required/],
    ['mesos-agent', ['--master=nowhere', '--work_dir=/tmp/x'], "--master: 'nowhere' is not host:port"],
    ['mesos-agent', ['--master=zk://h:2181', '--work_dir=/tmp/x'], /^--master: .*ZooKeeper URL/],
    ['mesos-master', ['--zk=zk://h/mesos'], /^--zk: .*is not host:port/],
    ['mesos-agent', ['--master=127.0.0.1:5050', '--work_dir=/tmp/x', '--resources=cpus'], '--resources'],
    ['mesos-agent', ['--master=127.0.0.1:5050', '--work_dir=/tmp/x', '--attributes=rack'], '--attributes'],
    ['mesos-agent', ['--master=127.0.0.1:5050', '--work_dir=/tmp/x', '--recover=maybe'], '--recover'],
    ['mesos-agent', ['--master=127.0.0.1:5050', '--work_dir=/tmp/x', '--executor_registration_timeout=1'], '--executor_registration_timeout'],
    ['mesos-agent', [], '--master (from MESOS_MASTER)', { MESOS_MASTER: 'x', MESOS_WORK_DIR: '/tmp/x' }],
    ['mesos-execute', ['--name=x', '--command=true'], /^--master is required/],
    ['mesos-execute', ['--master=127.0.0.1:5050', '--command=true'], /^--name is required/],
    ['mesos-execute', ['--master=127.0.0.1:5050', '--name=x'], /^--command is required/],
    ['mesos-execute', ['--master=127.0.0.1:5050', '--name=a/b', '--command=true'], '--name'],
    ['mesos-execute', ['--master=127.0.0.1:5050', '--name=x', '--command=true', '--kill_after=soon'], '--kill_after'],
    ['mesos-execute', ['--master=127.0.0.1:5050', '--name=x', '--command=true', '--env=[1'], '--env'],
    ['mesos-execute', ['--master=127.0.0.1:5050', '--name=x', '--command=true', '--env={"A":1}'], '--env'],
    ['mesos-execute', ['--master=127.0.0.1:5050', '--name=x', '--command=true', '--resources=cpus:x'], '--resources'],
    ['mesos-execute', ['--master=127.0.0.1:5050', '--name=x', '--command=true', '--framework_capabilities=MULTI_ROLE'], '--framework_capabilities'],
    ['mesos-execute', ['--master=127.0.0.1:5050', '--name=x', '--command=true', '--checkpoint=perhaps'], '--checkpoint'],
    ['mesos-execute', ['--name=x', '--command=true'], '--master (from MESOS_MASTER)', { MESOS_MASTER: 'nowhere' }],
    ['mesos-execute', ['--master=127.0.0.1:5050', '--name=x', '--command=true'], '--trace (from MESOS_TRACE)', { MESOS_TRACE: '' }],
    ['mesos-local', ['--num_agents=many'], '--num_agents'],
    ['mesos-local', ['--num_agents=-1'], '--num_agents'],
    ['mesos-local', ['--trace_dir='], '--trace_dir'],
    ['mesos-local', ['--resources=mem'], '--resources'],
    ['mesos-local', ['--allocation_interval=1'], '--allocation_interval'],
    ['mesos-local', [], '--num_agents (from MESOS_NUM_AGENTS)', { MESOS_NUM_AGENTS: 'x' }],
  ];
  for (const [cmd, args, expected, env] of cases) {
    it(`${cmd} ${args.join(' ')}${env ? ` with ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''} is refused naming the flag`, () => {
      assert.throws(
        () => parseFlags(specs[cmd] as CommandSpec<FlagSet>, args, env ?? {}),
        (e: unknown) => {
          assert.ok(e instanceof FlagError, `a FlagError, got ${String(e)}`);
          assert.ok(!e.message.includes('\n'), 'one line');
          if (typeof expected === 'string') assert.ok(e.message.startsWith(expected) || e.message.includes(expected), `'${e.message}' names ${expected}`);
          else assert.match(e.message, expected);
          return true;
        },
      );
    });
  }

  it('names MESOS_* variables that are no flag of the command, and lets task variables be', () => {
    const m = parseFlags(MASTER_SPEC, [], { MESOS_ZOOKEEPER: 'zk://h:2181/mesos', MESOS_PORT: '5051', MESOS_TASK_ID: 't', MESOS_SANDBOX: '/s' });
    assert.deepEqual(m.unknownEnv, ['MESOS_ZOOKEEPER']);
    const e = parseFlags(specs['mesos-execute'] as CommandSpec<FlagSet>, [], { MESOS_MASTER: '127.0.0.1:5050', MESOS_NAME: 'x', MESOS_COMMAND: 'true' });
    assert.equal(e.source['master'], 'env');
    assert.deepEqual(e.unknownEnv, []);
  });

  it('good flags become the options the command starts with', () => {
    const m = parseFlags(MASTER_SPEC, ['--port=0', '--allocation_interval=500ms', '--weights=dev=2,prod=3', '--roles=dev,prod', '--offer_timeout=1mins'], {});
    assert.equal(m.values.port, 0);
    assert.equal(m.values.allocation_interval, 500);
    assert.deepEqual(m.values.weights, { dev: 2, prod: 3 });
    assert.deepEqual(m.values.roles, ['dev', 'prod']);
    assert.equal(m.values.offer_timeout, 60_000);
    assert.equal(m.text['allocation_interval'], '500ms');
    assert.equal(m.text['agent_ping_timeout'], '15secs');
    const a = parseFlags(AGENT_SPEC, ["--resources=cpus:2;mem:1024"], { MESOS_MASTER: 'master@127.0.0.1:5050', MESOS_WORK_DIR: '/tmp/w' });
    assert.equal(a.values.master, 'master@127.0.0.1:5050');
    assert.equal(a.values.port, 5051);
    assert.equal(a.values.executor_shutdown_grace_period, 5000);
    const e = parseFlags(EXECUTE_SPEC, ['--master=127.0.0.1:5050', '--name=n', '--command=true', '--env={"A":"1"}', '--kill_after=2secs'], {});
    assert.deepEqual(e.values.env, { A: '1' });
    assert.equal(e.values.kill_after, 2000);
    assert.equal(e.values.resources, 'cpus:1;mem:128');
    assert.equal(e.values.shell, true);
    const l = parseFlags(LOCAL_SPEC, ['--num_agents=3', '--allocation_interval=100ms'], {});
    assert.equal(l.values.num_agents, 3);
    assert.equal(l.source['allocation_interval'], 'cli');
    assert.equal(l.source['agent_ping_timeout'], 'default');
  });
});

describe('cli flags (commands)', { timeout: 90_000 }, () => {
  it('mesos-master --help lists the flags with Mesos names and defaults', async () => {
    const r = await run('mesos-master', ['--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage: mesos-master \[options\]/);
    for (const flag of ['--ip=VALUE', '--port=VALUE', '--work_dir=VALUE', '--allocation_interval=VALUE', '--agent_ping_timeout=VALUE', '--max_agent_ping_timeouts=VALUE', '--offer_timeout=VALUE', '--logging_level=VALUE', '--roles=VALUE', '--weights=VALUE', '--role_policies=VALUE', '--min_allocatable_resources=VALUE', '--hostname=VALUE', '--trace=VALUE', '--[no-]quiet']) {
      assert.ok(r.stdout.includes(flag), `--help shows ${flag}`);
    }
    assert.match(r.stdout, /--port=VALUE\s+Port to listen on; 0 picks a free one\. \(default: 5050\)/);
    assert.match(r.stdout, /default: 1secs/);
    assert.match(r.stdout, /MESOS_/);
  });

  it('mesos-agent --help lists the agent flags', async () => {
    const r = await run('mesos-agent', ['--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const flag of ['--master=VALUE', '--work_dir=VALUE', '--resources=VALUE', '--attributes=VALUE', '--executor_registration_timeout=VALUE', '--executor_shutdown_grace_period=VALUE', '--recover=VALUE', '--port=VALUE']) {
      assert.ok(r.stdout.includes(flag), `--help shows ${flag}`);
    }
    assert.match(r.stdout, /\(default: 5051\)/);
  });

  it('mesos-execute and mesos-local --help describe their flags', async () => {
    const [exec, local] = await Promise.all([run('mesos-execute', ['--help']), run('mesos-local', ['--help'])]);
    assert.equal(exec.code, 0, exec.stderr);
    for (const flag of ['--master=VALUE', '--name=VALUE', '--command=VALUE', '--resources=VALUE', '--env=VALUE', '--role=VALUE', '--kill_after=VALUE', '--[no-]checkpoint', '--framework_name=VALUE']) {
      assert.ok(exec.stdout.includes(flag), `mesos-execute --help shows ${flag}`);
    }
    assert.match(exec.stdout, /\(default: cpus:1;mem:128\)/);
    assert.equal(local.code, 0, local.stderr);
    for (const flag of ['--num_agents=VALUE', '--port=VALUE', '--work_dir=VALUE', '--trace_dir=VALUE', '--resources=VALUE', '--allocation_interval=VALUE']) {
      assert.ok(local.stdout.includes(flag), `mesos-local --help shows ${flag}`);
    }
  });

  it('every command, run for real, refuses a bad flag with one line naming it and exit code 1', async () => {
    const cases: Array<[string, string[], string | RegExp, NodeJS.ProcessEnv?]> = [
      ['mesos-master', ['--port=abc'], "--port: 'abc' is not a port (0-65535)"],
      ['mesos-master', [], '--port (from MESOS_PORT)', { MESOS_PORT: 'x' }],
      ['mesos-agent', ['--work_dir=/tmp/x'], /--master is required/],
      ['mesos-agent', ['--master=127.0.0.1:5050', '--work_dir=/tmp/x', '--resources=cpus'], '--resources'],
      ['mesos-execute', ['--master=127.0.0.1:5050', '--name=x', '--command=true', '--kill_after=soon'], '--kill_after'],
      ['mesos-local', ['--num_agents=many'], '--num_agents'],
      ['mesos-local', ['--no_such_flag=1'], /unknown option '--no_such_flag=1'/],
    ];
    const results = await Promise.all(cases.map(([cmd, args, , env]) => run(cmd, args, env ? { env: cleanEnv(env) } : {})));
    results.forEach((r, i) => {
      const [cmd, args, flag] = cases[i]!;
      try {
        assertOneLineError(r, flag);
      } catch (err) {
        (err as Error).message = `${cmd} ${args.join(' ')}: ${(err as Error).message}`;
        throw err;
      }
    });
  });
});
