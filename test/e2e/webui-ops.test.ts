// The pages an operator leans on when things move, in a real headless Chromium (Debian's
// /usr/bin/chromium through playwright-core): `mesos-trace --format=html` of a real run with
// about ten lifelines at 1400×900, every lifeline header reachable and none cut; the roles page
// showing the allocator's own dominant share; and the web UI's lost-connection banner when the
// master is killed (SIGKILL), gone again once a master is back on the same port.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { background, cleanEnv, fileUrl, run, type Background } from '../fixtures/cli-run.js';

const CHROMIUM = '/usr/bin/chromium';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

async function stop(p: Background | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p === undefined || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill(signal);
  await p.exited;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe('trace page, role shares and the lost-connection banner in Chromium', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed` }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'mesos-ts-webui-ops-'));
  const traces = join(dir, 'traces');
  let browser: BrowserContext;
  let local: Background;
  let address = '';
  let credential: string[] = [];
  const pageErrors: string[] = [];

  const open = async (url: string, viewport: { width: number; height: number }): Promise<Page> => {
    const page = await browser.newPage();
    await page.setViewportSize(viewport);
    page.on('pageerror', (e) => pageErrors.push(`${url}: ${e.message}`));
    await page.goto(url);
    return page;
  };

  before(async () => {
    local = background('mesos-local', ['--num_agents=2', '--port=0', `--trace_dir=${traces}`, `--work_dir=${join(dir, 'run')}`, '--resources=cpus:2;mem:512;disk:256']);
    const launched = chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    address = (await local.waitFor(/Master +http:\/\/([\d.]+:\d+)/))[1]!;
    // mesos-local is secured: frameworks prove the credential it generated and printed.
    const [, principal, secret] = await local.waitFor(/DEFAULT_PRINCIPAL=(\S+) DEFAULT_SECRET=(\S+)/);
    credential = [`--principal=${principal!}`, `--secret=${secret!}`];
    browser = await launched;
    // Two frameworks at once, each traced: schedulers, executors, agents and the master.
    const runs = await Promise.all([1, 2].map((i) =>
      run('mesos-execute', [`--master=${address}`, `--name=traced-${i}`, `--command=echo ${i}`, '--resources=cpus:0.5;mem:32', ...credential, `--trace=${join(traces, `scheduler-${i}.trace.jsonl`)}`], { timeoutMs: 30_000 })));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
  });

  after(async () => {
    await browser?.close();
    await stop(local);
    rmSync(dir, { recursive: true, force: true });
  });

  it('mesos-trace --format=html: every lifeline of a real run is reachable at 1400×900, none cut', async () => {
    const files = readdirSync(traces).filter((f) => f.endsWith('.trace.jsonl')).map((f) => join(traces, f));
    const html = join(dir, 'flow.html');
    const r = await run('mesos-trace', ['--format=html', '-o', html, ...files]);
    assert.equal(r.code, 0, r.stderr);
    const page = await open(fileUrl(html), { width: 1400, height: 900 });
    await page.waitForSelector('svg.actors g.actor');
    const count = await page.$$eval('svg.actors g.actor', (gs) => gs.length);
    const labels = await page.$$eval('svg.actors g.actor text', (ts) => ts.map((t) => t.textContent));
    assert.ok(count >= 8 && count <= 13, `about ten lifelines, got ${count}: ${labels.join(', ')}`);
    // Each header, scrolled to inside the diagram's own scroller, lies fully in the window and in
    // the scroller's visible box, and its name fits its box.
    const problems = (await page.evaluate(`(() => {
      const scroller = document.querySelector('.diagram');
      const out = [];
      // Scrolling from script works even where a user cannot scroll; so the scroller must be one.
      if (scroller.scrollWidth > scroller.clientWidth && !/auto|scroll/.test(getComputedStyle(scroller).overflowX)) out.push('the diagram is wider than its box and cannot be scrolled');
      const gs = [...document.querySelectorAll('svg.actors g.actor')];
      for (const g of gs) {
        const rect = g.querySelector('rect');
        const text = g.querySelector('text');
        const r0 = rect.getBoundingClientRect();
        const view = scroller.getBoundingClientRect();
        scroller.scrollLeft += r0.left - view.left - 20;
        const r = rect.getBoundingClientRect();
        const v = scroller.getBoundingClientRect();
        const visibleRight = v.left + scroller.clientWidth;
        if (r.left < v.left - 0.5 || r.right > visibleRight + 0.5 || r.right > window.innerWidth + 0.5) out.push(text.textContent + ' not reachable: ' + r.left + '..' + r.right + ' in ' + v.left + '..' + visibleRight);
        if (text.getBBox().width > rect.getBBox().width + 0.5) out.push(text.textContent + ' is wider than its box');
        if (r.top < v.top - 0.5 || r.bottom > window.innerHeight) out.push(text.textContent + ' header not on screen vertically');
      }
      scroller.scrollLeft = 0;
      return out;
    })()`)) as string[];
    assert.deepEqual(problems, []);
    // The header row stays while the diagram scrolls down.
    await page.evaluate("document.querySelector('.diagram').scrollTop = 400");
    const top = (await page.evaluate("document.querySelector('svg.actors').getBoundingClientRect().top - document.querySelector('.diagram').getBoundingClientRect().top")) as number;
    assert.ok(Math.abs(top) < 1, `the actor header is sticky (offset ${top})`);
    await page.close();
    assert.deepEqual(pageErrors, []);
  });

  it("the roles page shows the allocator's dominant share for the role", async () => {
    const long = background('mesos-execute', [`--master=${address}`, '--name=share-task', '--command=sleep 30', '--resources=cpus:1;mem:128', ...credential]);
    try {
      await long.waitFor(/TASK_RUNNING/);
      const page = await open(`http://${address}/#/roles`, { width: 1280, height: 800 });
      await page.waitForSelector('#roles .share[data-role="*"]');
      const metric = async (): Promise<number> => ((await (await fetch(`http://${address}/metrics/snapshot`)).json()) as Record<string, number>)['allocator/mesos/roles/*/shares/dominant']!;
      // Offers come and go, so the page and the master are compared until they agree.
      let last = '';
      await until('the page shows the master\'s share', async () => {
        const want = `${((await metric()) * 100).toFixed(1)}%`;
        last = `${(await page.textContent('#roles .share[data-role="*"]')) ?? ''} vs ${want}`;
        return (await page.textContent('#roles .share[data-role="*"]')) === want && want !== '0.0%';
      }).catch((err: Error) => assert.fail(`${err.message}: ${last}`));
      assert.match((await page.getAttribute('#roles .share[data-role="*"]', 'title')) ?? '', /shares\/dominant/);
      assert.match((await page.textContent('#framework-shares'))!, /mesos-execute instance/);
      await page.close();
    } finally {
      await stop(long);
    }
    assert.deepEqual(pageErrors, []);
  });

  it('shows a banner when the master is killed and clears it when a master is back on the port', async () => {
    const port = await freePort();
    const start = (): Background => background('mesos-master', ['--ip=127.0.0.1', `--port=${port}`], { env: cleanEnv() });
    let master = start();
    const healthy = async (): Promise<boolean> => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
    try {
      await until('the master answers', healthy);
      const page = await open(`http://127.0.0.1:${port}/#/`, { width: 1280, height: 800 });
      await page.waitForSelector('#agents-active');
      assert.equal(await page.isVisible('#banner'), false);
      const started = await page.getAttribute('main time', 'datetime');

      process.kill(-master.child.pid!, 'SIGKILL');
      await master.exited;
      await page.waitForSelector('#banner', { state: 'visible', timeout: 10_000 });
      assert.match((await page.textContent('#banner'))!, /Lost the connection to the master|Cannot reach the master/);

      master = start();
      await until('the new master answers', healthy);
      await page.waitForSelector('#banner', { state: 'hidden', timeout: 15_000 });
      // The page reread /state from the new master (a new start time), without a reload.
      await page.waitForFunction(`document.querySelector('main time')?.getAttribute('datetime') !== ${JSON.stringify(started)}`, undefined, { timeout: 10_000 });
      assert.equal(await page.textContent('.live'), 'live');
      await page.close();
    } finally {
      await stop(master);
    }
    assert.deepEqual(pageErrors, []);
  });
});
