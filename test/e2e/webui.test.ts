// The web UI in a real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core;
// no browser is downloaded): every page loads without console errors and shows what the cluster
// ran; a task launched while the pages are open appears and changes state without a reload; the
// live flow draws its messages; the sandbox tail shows lines printed after the page opened; the
// master stops watching its inspection stream when the last page closes.
// WEBUI_SCREENSHOTS=docs/screenshots also writes the screenshots the README shows.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { E2ECluster, waitUntil } from '../fixtures/e2e-cluster.js';
import { background, run, ROOT } from '../fixtures/cli-run.js';

const CHROMIUM = '/usr/bin/chromium';

/** A page-side check (Node has no DOM types): the task's row shows the state. */
const stateIs = (task: string, state: string): string =>
  `(document.querySelector('tr[data-task="${task}"] .state') || {}).textContent === '${state.replace(/^TASK_/, '')}'`;
const SHOTS = process.env['WEBUI_SCREENSHOTS'];

describe('web UI in Chromium', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed` }, () => {
  let cluster: E2ECluster;
  let browser: BrowserContext;
  let profile: string;
  let base: string;
  const errors: string[] = [];

  const open = async (hash: string, viewport = { width: 1280, height: 800 }): Promise<Page> => {
    const page = await browser.newPage();
    await page.setViewportSize(viewport);
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`${hash}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`${hash}: ${e.message}`));
    await page.goto(`${base}/${hash}`);
    return page;
  };
  const shot = async (page: Page, name: string): Promise<void> => {
    if (SHOTS === undefined) return;
    mkdirSync(join(ROOT, SHOTS), { recursive: true });
    await page.screenshot({ path: join(ROOT, SHOTS, `${name}.png`) });
  };

  before(async () => {
    [cluster] = await Promise.all([E2ECluster.start({ agents: ['cpus:2;mem:1024;disk:1024'], master: { allocationIntervalMs: 200 } })]);
    base = `http://${cluster.master.address}`;
    profile = mkdtempSync(join(tmpdir(), 'mesos-ts-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const first = await run('mesos-execute', [`--master=${cluster.master.address}`, '--name=first-task', '--command=echo first'], { timeoutMs: 30_000 });
    assert.equal(first.code, 0, first.stderr);
  });

  after(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await cluster?.stop();
  });

  it('serves every page with what the cluster ran, and no console errors', async () => {
    const agentId = cluster.agents[0]!.id;
    const res = await fetch(`${base}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);

    const overview = await open('#/');
    await overview.waitForSelector('#agents-active');
    assert.equal(await overview.textContent('#agents-active'), '1');
    assert.match((await overview.textContent('#resources'))!, /cpus\s*2/);
    await shot(overview, 'overview');

    const frameworks = await open('#/frameworks');
    await frameworks.waitForSelector('#frameworks-completed td a');
    assert.match((await frameworks.textContent('#frameworks-completed'))!, /mesos-execute instance/);

    const agents = await open('#/agents');
    await agents.waitForSelector('#agents td');
    assert.match((await agents.textContent('#agents'))!, new RegExp(agentId));
    await agents.click(`#agents a`);
    await agents.waitForFunction("document.body.textContent.includes('first-task')");
    assert.match((await agents.textContent('main'))!, /first-task/);

    const tasks = await open('#/tasks');
    await tasks.waitForSelector('tr[data-task="first-task"]');
    assert.match((await tasks.textContent('tr[data-task="first-task"]'))!, /FINISHED/);

    for (const hash of ['#/roles', '#/offers']) {
      const p = await open(hash);
      await p.waitForSelector('h1');
      await p.close();
    }
    const phone = await open('#/tasks', { width: 390, height: 800 });
    await phone.waitForSelector('tr[data-task="first-task"]');
    const overflow = (await phone.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    assert.ok(overflow <= 1, `the page is ${overflow} px wider than a phone`);
    await phone.close();
    for (const p of [overview, frameworks, agents]) await p.close();
    await tasks.close();
    assert.deepEqual(errors, []);
  });

  it('shows a task launched while open: its state changes, its messages flow, its sandbox tails', async () => {
    const tasks = await open('#/tasks');
    await tasks.waitForSelector('tr[data-task="first-task"]');
    const flow = await open('#/flow');
    await flow.waitForSelector('#flow-diagram');

    const command = 'sleep 2; for i in 1 2 3 4 5 6 7 8 9 10; do echo tail-line-$i; sleep 0.4; done';
    const exec = background('mesos-execute', [`--master=${cluster.master.address}`, '--name=live-task', `--command=${command}`], { timeoutMs: 60_000 });

    // Without a reload: the row appears, RUNNING, on the page opened before the launch.
    await tasks.waitForFunction(stateIs('live-task', 'RUNNING'), undefined, { timeout: 20_000 });
    await flow.waitForSelector('g.msg[data-task="live-task"][data-name="StatusUpdate"]', { timeout: 10_000 });
    const names = await flow.$$eval('g.msg[data-task="live-task"]', (gs) => gs.map((g) => g.getAttribute('data-name')));
    assert.ok(names.includes('RunTask'), `flow shows RunTask: ${names.join(' ')}`);
    await shot(flow, 'flow');

    // Follow the task: only its messages and their causes remain, and a click highlights a chain.
    await flow.selectOption('#flow-follow', 'live-task');
    await flow.click('g.msg[data-task="live-task"][data-name="StatusUpdate"]');
    await flow.waitForSelector('g.msg.sel');
    assert.ok((await flow.$$('g.msg.chain')).length > 0, 'its causes and effects are highlighted');

    // The sandbox: its listing, then stdout followed as the task prints.
    const st = await (await fetch(`${base}/state`)).json() as { frameworks: { id: string; tasks: { id: string }[] }[] };
    const fw = st.frameworks.find((f) => f.tasks.some((t) => t.id === 'live-task'))!;
    const sandbox = await open(`#/sandbox?agent=${encodeURIComponent(cluster.agents[0]!.id)}&framework=${encodeURIComponent(fw.id)}&task=live-task`);
    await sandbox.waitForSelector('#sandbox-files a[href*="stdout"]');
    await sandbox.click('#sandbox-files a[href*="file="][href$="stdout"]');
    await sandbox.waitForSelector('#tail');
    const before = (await sandbox.textContent('#tail')) ?? '';
    assert.doesNotMatch(before, /tail-line-10/);
    await sandbox.waitForFunction("document.getElementById('tail').textContent.includes('tail-line-10')", undefined, { timeout: 20_000 });
    await shot(sandbox, 'sandbox');

    await tasks.waitForFunction(stateIs('live-task', 'FINISHED'), undefined, { timeout: 20_000 });
    await shot(tasks, 'tasks');
    assert.equal((await exec.exited).code, 0);
    for (const p of [tasks, flow, sandbox]) await p.close();
    assert.deepEqual(errors, []);
  });

  it('stops reading the inspection stream once no page is open', async () => {
    // Each closed page ends its event stream; the master unsubscribes with the last one.
    const metrics = async (): Promise<Record<string, number>> => (await fetch(`${base}/metrics/snapshot`)).json() as Promise<Record<string, number>>;
    await waitUntil('no web UI clients', async () => (await metrics())['master/webui/clients'] === 0, 10_000);
    assert.equal((await metrics())['master/webui/inspecting'], 0);
  });
});
