/**
 * Issue 15's web part in real headless Chromium against two real nodes (Redis + Cassandra,
 * port 0): an end-to-end encrypted room made from the "New room" form, its lock in the room
 * list and header, messages typed and read as plain text on screen across the two nodes,
 * while the rows the cluster stored hold only MLS ciphertext. Each user is a browser
 * context, so each has its own IndexedDB and therefore its own MLS keys.
 */
import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp as signUpRest } from '../../../server/test/helpers/http-client';
import { createTestCluster, type TestNode } from '../../../server/test/helpers/start-node';
import { launchChromium } from './chromium';
import { ensureWebBuild } from './web-fixtures';

const PASSWORD = 'correct horse battery';
const suffix = randomUUID().slice(0, 6);
const names = {
  alice: `alice_e2ee_${suffix}`,
  bob: `bob_e2ee_${suffix}`,
  carol: `carol_e2ee_${suffix}`,
};

describe('web app: end-to-end encrypted rooms in Chromium, two nodes', () => {
  const cluster = createTestCluster();
  let nodeA: TestNode;
  let nodeB: TestNode;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1180, height: 720 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (err) => {
      throw err;
    });
    return page;
  }

  /** Registers, waits for the live connection and for the E2EE session (keys uploaded). */
  async function signUp(page: Page, node: TestNode, username: string) {
    await page.goto(`${node.url}/`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByTestId('status').getByText('Online').waitFor();
    await page.locator('.chat[data-e2ee=ready]').waitFor();
  }

  const bodies = (page: Page) =>
    page.locator('[data-testid=messages] li.message:not(.pending) .body').allTextContents();

  beforeAll(async () => {
    ensureWebBuild();
    [nodeA, nodeB] = await Promise.all([cluster.startNode(), cluster.startNode()]);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await Promise.allSettled(contexts.map((c) => c.close()));
    await browser?.close();
    await cluster.stopAll();
  });

  it('two users on two nodes talk in an E2EE room: lock shown, plain text on screen, only ciphertext stored', async () => {
    const [alice, bob] = await Promise.all([newPage(), newPage()]);
    await Promise.all([signUp(alice, nodeA, names.alice), signUp(bob, nodeB, names.bob)]);

    const roomName = `secret-${suffix}`;
    await alice.getByLabel('New room').fill(roomName);
    await alice.getByLabel('End-to-end encrypted').check();
    await alice.getByRole('button', { name: 'Create', exact: true }).click();
    const header = alice.getByRole('heading', { name: new RegExp(`#${roomName}`) });
    await header.getByRole('img', { name: 'end-to-end encrypted' }).waitFor();
    await alice.getByLabel('Invite').fill(names.bob);
    await alice.getByRole('button', { name: 'Invite', exact: true }).click();
    await alice.locator('.members').getByText(names.bob).waitFor();

    // Both room lists show the lock; bob (node B) opens the room and sees it in the header too.
    const lockIn = (page: Page) =>
      page
        .getByRole('navigation', { name: 'Rooms' })
        .getByRole('button', { name: new RegExp(`#${roomName}`) })
        .getByRole('img', { name: 'end-to-end encrypted' });
    await lockIn(alice).waitFor();
    await lockIn(bob).waitFor();
    await bob.getByRole('button', { name: new RegExp(`#${roomName}`) }).click();
    await bob
      .getByRole('heading', { name: new RegExp(`#${roomName}`) })
      .getByRole('img', { name: 'end-to-end encrypted' })
      .waitFor();

    const fromAlice = `only bob may read this ${suffix}`;
    const fromBob = `and only alice this ${suffix}`;
    await alice.getByLabel('Message', { exact: true }).fill(fromAlice);
    await alice.getByLabel('Message', { exact: true }).press('Enter');
    await bob.locator('.message .body', { hasText: fromAlice }).waitFor();
    await bob.getByLabel('Message', { exact: true }).fill(fromBob);
    await bob.getByLabel('Message', { exact: true }).press('Enter');
    await alice.locator('.message .body', { hasText: fromBob }).waitFor();
    // Handshakes (the commit and Welcome that added bob) are not shown; neither is ciphertext.
    expect(await bodies(alice)).toEqual([fromAlice, fromBob]);
    expect(await bodies(bob)).toEqual([fromAlice, fromBob]);
    // The server refuses edits in E2EE rooms, so there is no Edit button; Delete stays.
    const own = alice.locator('li.message.mine', { hasText: fromAlice });
    await own.getByRole('button', { name: /^Delete message/ }).waitFor();
    expect(await own.getByRole('button', { name: /^Edit message/ }).count()).toBe(0);

    // MLS reads a message once, so the page keeps what it decrypted (in IndexedDB, with the
    // keys): after a reload and a new sign-in, the history still reads as plain text.
    await alice.reload();
    await alice.getByLabel('Username').fill(names.alice);
    await alice.getByLabel('Password').fill(PASSWORD);
    await alice.getByRole('button', { name: 'Sign in' }).click();
    await alice.locator('.chat[data-e2ee=ready]').waitFor();
    await alice.getByRole('button', { name: new RegExp(`#${roomName}`) }).click();
    await alice.locator('.message .body', { hasText: fromBob }).waitFor();
    expect(await bodies(alice)).toEqual([fromAlice, fromBob]);

    // Carol never ran a client with E2EE, so no device of hers has keys in the directory:
    // the invite adds her to the room but not to the group, and alice is told so.
    await signUpRest(nodeA.url, names.carol);
    await alice.getByLabel('Invite').fill(names.carol);
    await alice.getByRole('button', { name: 'Invite', exact: true }).click();
    await alice
      .getByRole('status')
      .getByText(`${names.carol} is in the room but has no device ready for encrypted rooms`)
      .waitFor();

    // What the cluster stored: MLS rows only, none with either text, raw or base64-decoded.
    const user = await nodeA.stores.users.findUserByUsername(names.alice);
    const [membership] = await nodeA.stores.rooms.listRoomsOfUser(user!.id);
    const rows = await nodeA.stores.messages.listMessagesAfter(membership!.roomId, 0, 1_000);
    expect(rows.filter((r) => r.kind === 'mls-app')).toHaveLength(2);
    expect(rows.some((r) => r.kind === 'mls-welcome')).toBe(true);
    for (const row of rows) {
      expect(row.kind).toMatch(/^mls-/);
      for (const text of [row.body, Buffer.from(row.body, 'base64').toString('latin1')])
        for (const plain of [fromAlice, fromBob, 'only bob', 'only alice'])
          expect(text).not.toContain(plain);
    }
  });
});
