/**
 * The web app in real headless Chromium (Debian's, driven by playwright-core) against two
 * real cluster nodes (Redis + Cassandra, port 0). One browser; each user is a browser
 * context (its own cookies, storage and network), so two users really are two clients.
 * The tests build on each other in order: sign-up → chat → offline → dashboard → ban.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrPromoteAdmin } from '../../../server/src/auth/admin-create';
import { createPasswordHasher } from '../../../server/src/auth/password-hasher';
import { createTestCluster, type TestNode } from '../../../server/test/helpers/start-node';
import { launchChromium } from './chromium';
import { ensureWebBuild, sdkSmokeRoutes } from './web-fixtures';

const screenshots = path.resolve(import.meta.dirname, '../../../docs/screenshots');
const PASSWORD = 'correct horse battery';
const suffix = randomUUID().slice(0, 6);
const names = { alice: `alice_${suffix}`, bob: `bob_${suffix}`, carol: `carol_${suffix}` };
const admin = { username: `admin_${suffix}`, password: 'admin password 123' };
const viewport = { width: 1180, height: 720 };

describe('web app in Chromium, two nodes', () => {
  const cluster = createTestCluster();
  let nodeA: TestNode;
  let nodeB: TestNode;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let alice: Page;
  let bob: Page;
  let bobContext: BrowserContext;
  let console_: Page;
  let roomName: string;

  async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (err) => {
      throw err;
    });
    return { context, page };
  }

  /** Registers through the sign-in form and waits for the live connection. */
  async function signUp(page: Page, node: TestNode, username: string) {
    await page.goto(`${node.url}/`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByTestId('status').getByText('Online').waitFor();
  }

  /** Every form control has an accessible name (a <label for>, or aria-label). */
  async function expectLabelledControls(page: Page) {
    const unlabelled =
      await page.evaluate(`[...document.querySelectorAll('input, textarea, select')]
      .filter((e) => e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
      .map((e) => e.outerHTML)`);
    expect(unlabelled).toEqual([]);
  }

  const bodies = (page: Page) =>
    page.locator('[data-testid=messages] li.message:not(.pending) .body').allTextContents();

  beforeAll(async () => {
    ensureWebBuild();
    [nodeA, nodeB] = await Promise.all([cluster.startNode(), cluster.startNode()]);
    const hasher = createPasswordHasher(nodeA.config.argon2);
    await createOrPromoteAdmin(
      { stores: nodeA.stores, hasher },
      admin.username,
      async () => admin.password,
    );
    browser = await launchChromium();
    mkdirSync(screenshots, { recursive: true });
  });

  afterAll(async () => {
    await Promise.allSettled(contexts.map((c) => c.close()));
    await browser?.close();
    await cluster.stopAll();
  });

  it('serves the chat at / and the console at /admin on every node, keeping the admin API intact', async () => {
    for (const node of [nodeA, nodeB]) {
      const chat = await fetch(`${node.url}/`);
      expect(chat.headers.get('content-type')).toMatch(/text\/html/);
      expect(await chat.text()).toContain('<title>Parley chat</title>');
      const consolePage = await fetch(`${node.url}/admin`, { headers: { accept: 'text/html' } });
      expect(await consolePage.text()).toContain('<title>Parley admin console</title>');
      // An API client at the same path still gets the API's answer.
      const api = await fetch(`${node.url}/admin`, { headers: { accept: 'application/json' } });
      expect(api.status).toBe(401);
      expect(api.headers.get('content-type')).toMatch(/problem\+json/);
    }
  });

  it('two users in two contexts chat across two nodes: invite, unread count, live messages, read receipt', async () => {
    ({ page: alice } = await newPage());
    ({ context: bobContext, page: bob } = await newPage());
    await Promise.all([signUp(alice, nodeA, names.alice), signUp(bob, nodeB, names.bob)]);

    roomName = `general-${suffix}`;
    await alice.getByLabel('New room').fill(roomName);
    await alice.getByRole('button', { name: 'Create', exact: true }).click();
    await alice.getByRole('heading', { name: `#${roomName}` }).waitFor();
    await alice.getByLabel('Invite').fill(names.bob);
    await alice.getByRole('button', { name: 'Invite', exact: true }).click();
    await alice.locator('.members').getByText(names.bob).waitFor();

    // Bob (on node B) learns about the room live, and sees the unread count before opening it.
    const bobRoom = bob.getByRole('button', { name: new RegExp(`#${roomName}`) });
    await bobRoom.waitFor();
    await alice.getByLabel('Message', { exact: true }).fill('hello bob');
    await alice.getByLabel('Message', { exact: true }).press('Enter');
    await bobRoom.getByLabel('1 unread').waitFor();
    await bobRoom.click();
    await bob.locator('.message .body', { hasText: 'hello bob' }).waitFor();

    await bob.getByLabel('Message', { exact: true }).fill('hi alice, from the other node');
    await bob.getByLabel('Message', { exact: true }).press('Enter');
    await alice.locator('.message .body', { hasText: 'hi alice, from the other node' }).waitFor();
    // Bob read alice's message: her receipt says so.
    await alice.getByTestId('receipt').getByText('Read by 1').waitFor();
    expect(await bodies(alice)).toEqual(['hello bob', 'hi alice, from the other node']);
    expect(await bodies(bob)).toEqual(['hello bob', 'hi alice, from the other node']);
    await expectLabelledControls(alice);
    // Keyboard: the skip link is the first tab stop of the page and lands in the message box.
    expect(
      await alice.evaluate(
        `document.querySelector('a[href], button, input, textarea, select').textContent`,
      ),
    ).toBe('Skip to message box');
    await alice.getByRole('link', { name: 'Skip to message box' }).focus();
    await alice.keyboard.press('Enter');
    expect(await alice.evaluate('document.activeElement && document.activeElement.id')).toBe(
      'composer-input',
    );
  });

  it('a user who goes offline sees two typed messages pending; back online, both arrive once, in order', async () => {
    await bobContext.setOffline(true);
    await bob
      .getByTestId('status')
      .getByText(/Offline/)
      .waitFor();
    for (const body of ['typed offline one', 'typed offline two']) {
      await bob.getByLabel('Message', { exact: true }).fill(body);
      await bob.getByLabel('Message', { exact: true }).press('Enter');
    }
    await expect.poll(() => bob.getByTestId('pending-message').count()).toBe(2);
    await bob.getByTestId('status').getByText('2 waiting to send').waitFor();
    await bob.screenshot({ path: path.join(screenshots, 'chat-offline-pending.png') });

    await bobContext.setOffline(false);
    await bob.getByTestId('status').getByText('Online').waitFor();
    await alice.locator('.message .body', { hasText: 'typed offline two' }).waitFor();
    await expect.poll(() => bob.getByTestId('pending-message').count()).toBe(0);
    const expected = [
      'hello bob',
      'hi alice, from the other node',
      'typed offline one',
      'typed offline two',
    ];
    expect(await bodies(alice)).toEqual(expected);
    await expect.poll(() => bodies(bob)).toEqual(expected);
    await alice.screenshot({ path: path.join(screenshots, 'chat.png') });
  });

  // Alice starts typing well within a second of her last "typing" (the earlier tests run
  // fast): the composer must delay it past the server's limit, not drop it (typing-signal.ts).
  it('shows typing, and edits and deletes of own messages, live on the other node', async () => {
    const composer = alice.getByLabel('Message', { exact: true });
    await composer.fill('a draft');
    await bob.getByText(`${names.alice} is typing…`).waitFor();
    await composer.fill('to be edited');
    await composer.press('Enter');
    await bob.locator('.message .body', { hasText: 'to be edited' }).waitFor();
    await bob.getByText(`${names.alice} is typing…`).waitFor({ state: 'detached' });

    const mine = alice.locator('li.message', { hasText: 'to be edited' });
    await mine.getByRole('button', { name: /^Edit message/ }).click();
    await alice.getByRole('textbox', { name: 'Edit message', exact: true }).fill('edited text');
    await alice.getByRole('textbox', { name: 'Edit message', exact: true }).press('Enter');
    const theirs = bob.locator('li.message', { hasText: 'edited text' });
    await theirs.getByText('(edited)').waitFor();

    await alice
      .locator('li.message', { hasText: 'edited text' })
      .getByRole('button', { name: /^Delete message/ })
      .click();
    await bob.locator('li.message.deleted').getByText('Message deleted').waitFor();
    expect(await bob.locator('.message .body', { hasText: 'edited text' }).count()).toBe(0);
  });

  it("the admin dashboard's live connections counter goes up when a client connects", async () => {
    ({ page: console_ } = await newPage());
    await console_.goto(`${nodeA.url}/admin`);
    await console_.getByLabel('Username').fill(admin.username);
    await console_.getByLabel('Password').fill(admin.password);
    await console_.getByRole('button', { name: 'Sign in' }).click();
    const tile = console_.getByTestId('tile-connections');
    await console_.getByTestId('tile-nodes').getByText('2', { exact: true }).waitFor();
    const connections = async () => Number(await tile.textContent());
    // alice, bob and the console's own client: three sockets across the two nodes.
    await expect.poll(connections).toBe(3);

    const { page: carol } = await newPage();
    await signUp(carol, nodeB, names.carol);
    await expect.poll(connections).toBe(4);

    // Traffic spread over a few one-second windows, so the charts have something to draw.
    const snapshots = async () =>
      Number(await console_.locator('[data-snapshots]').getAttribute('data-snapshots'));
    for (const n of [1, 2, 3, 4, 5]) {
      const before = await snapshots();
      await alice.getByLabel('Message', { exact: true }).fill(`dashboard traffic ${n}`);
      await alice.getByLabel('Message', { exact: true }).press('Enter');
      await bob.locator('.message .body', { hasText: `dashboard traffic ${n}` }).waitFor();
      await expect.poll(snapshots).toBeGreaterThan(before);
    }
    await expect
      .poll(async () => Number(await console_.getByTestId('tile-errors').textContent()))
      .toBe(0);
    await console_.screenshot({ path: path.join(screenshots, 'admin-dashboard.png') });
    await carol.close();
  });

  it("an admin bans a user in the console and that user's page shows it", async () => {
    const { page: carol } = await newPage();
    await carol.goto(`${nodeB.url}/`);
    await carol.getByLabel('Username').fill(names.carol);
    await carol.getByLabel('Password').fill(PASSWORD);
    await carol.getByRole('button', { name: 'Sign in' }).click();
    await carol.getByTestId('status').getByText('Online').waitFor();

    await console_.getByRole('link', { name: 'Users' }).click();
    await console_.getByLabel('Find users').fill(names.carol);
    await console_.getByRole('button', { name: 'Search' }).click();
    await console_.getByRole('button', { name: `Ban ${names.carol}` }).click();
    await console_.getByLabel(`Reason for: Ban ${names.carol}`).fill('spam in #general');
    await console_.getByRole('button', { name: 'Confirm ban' }).click();
    await console_.locator(`tr[data-username="${names.carol}"]`).getByText('banned').waitFor();

    await carol
      .getByTestId('session-ended')
      .getByText(/banned/)
      .waitFor();
    await expectLabelledControls(console_);
    await console_.getByRole('link', { name: 'Audit log' }).click();
    await console_.getByText('spam in #general').waitFor();
    await console_.getByRole('link', { name: 'Rooms' }).click();
    await console_.getByLabel('Find rooms').fill(roomName);
    await console_.getByRole('button', { name: 'Search' }).click();
    await console_.getByRole('button', { name: `#${roomName}` }).click();
    await console_.getByRole('cell', { name: 'typed offline two' }).waitFor();
    await expectLabelledControls(console_);
    await console_.getByRole('link', { name: 'API reference' }).click();
    await console_.getByText('/admin/rooms/{roomId}/messages').first().waitFor();
  });

  it('the published SDK build (dist/index.js) runs as-is in the browser: register, connect, exchange messages', async () => {
    const { context, page } = await newPage();
    await sdkSmokeRoutes(context, nodeA.url);
    await page.goto(`${nodeA.url}/sdk-smoke/`);
    await page.waitForFunction(
      () => (globalThis as { __result?: unknown }).__result !== undefined,
      undefined,
      {
        timeout: 30_000,
      },
    );
    const result = await page.evaluate(() => (globalThis as { __result?: unknown }).__result);
    expect(result).toMatchObject({ ok: true, received: ['one', 'two', 'three'] });
  });
});
