/// <reference lib="dom" />
// The dashboard in a real browser (system Chromium) against the real server, database and VAPI
// simulator: sign in, settings, create a campaign (a refused field shown inline), import a CSV,
// start, pause and resume it, watch its calls end live, open a call, add a do-not-call number.
// Each page's screenshot is attached to the test output; with PGDIALER_SCREENSHOTS_DIR set
// (npm run screenshots) the README's screenshots are written there too.
import { test, expect, type Page, type TestInfo } from '@playwright/test';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ADMIN_TOKEN, startStack, type Stack } from './stack.js';

test.describe.configure({ mode: 'serial' });

let stack: Stack;
let page: Page;
let apiKey: string;
const screenshotsDir = process.env.PGDIALER_SCREENSHOTS_DIR;
/** The pages the README shows (every page is attached to the test output). */
const readmeShots = new Set(['overview', 'campaign', 'campaign-form', 'import-report', 'call', 'overview-375']);

async function shoot(name: string, info: TestInfo, options: { mobile?: boolean } = {}): Promise<void> {
  await page.waitForLoadState('networkidle').catch(() => {});
  const body = await page.screenshot({ fullPage: true });
  await info.attach(`${name}.png`, { body, contentType: 'image/png' });
  if (screenshotsDir && readmeShots.has(name)) {
    mkdirSync(screenshotsDir, { recursive: true });
    await page.screenshot({ path: join(screenshotsDir, `${name}.png`), fullPage: !options.mobile });
  }
}

/** No sideways scrolling at the current width (the page fits its viewport). */
async function fitsWidth(): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
}

test.beforeAll(async ({ browser }) => {
  stack = await startStack();
  page = await browser.newPage();
});

test.afterAll(async () => {
  await page?.close();
  await stack?.close();
});

test('first load is small and paints fast', async ({}, info) => {
  // What the browser downloads for / (the chart's chunk loads later, on the overview).
  const html = readFileSync('server/dashboard/dist/index.html', 'utf8');
  const assets = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1]!);
  const gzipped = [Buffer.from(html), ...assets.map((asset) => readFileSync(join('server/dashboard/dist', asset)))].reduce((sum, bytes) => sum + gzipSync(bytes).length, 0);
  info.annotations.push({ type: 'first load (gzip)', description: `${(gzipped / 1024).toFixed(1)} KB` });
  expect(gzipped).toBeLessThanOrEqual(300 * 1024);

  await page.goto(stack.url);
  await expect(page.getByRole('heading', { name: 'Sign in to pgdialer' })).toBeVisible();
  const paint = await page.evaluate(async () => {
    // The paint entry may be recorded a moment after the page shows: observe it, buffered.
    const fcp = await new Promise<number | null>((resolve) => {
      new PerformanceObserver((list) => {
        const entry = list.getEntriesByName('first-contentful-paint')[0];
        if (entry) resolve(entry.startTime);
      }).observe({ type: 'paint', buffered: true });
      setTimeout(() => resolve(null), 3_000);
    });
    const rendered = performance.getEntriesByName('pgdialer:rendered')[0]?.startTime ?? null;
    return { fcp, rendered };
  });
  info.annotations.push({ type: 'first contentful paint', description: `${paint.fcp?.toFixed(0)} ms (app rendered at ${paint.rendered?.toFixed(0)} ms)` });
  expect(paint.fcp).not.toBeNull();
  expect(paint.fcp!).toBeLessThan(1_000);
  await shoot('sign-in', info);
});

test('an admin creates a tenant; its key signs in', async ({}, info) => {
  await page.getByRole('link', { name: 'Create a tenant with the admin token' }).click();
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
  await page.getByLabel('Tenant name').fill('Acme Health');
  await page.getByRole('button', { name: 'Create tenant' }).click();
  const key = (await page.getByRole('table', { name: 'Created tenants' }).locator('code').first().textContent())!;
  expect(key).toMatch(/^pgd_/);
  apiKey = key;
  // The calls below run at whatever hour the suite does: this tenant switches off the calling-hour
  // rules of its contacts (Chicago numbers: US federal, Illinois), as an operator can over the API.
  const rules = await fetch(`${stack.url}/v1/compliance`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ disabledRules: ['us-federal.tcpa', 'us-il.prerecorded'] }),
  });
  expect(rules.status).toBe(200);
  await shoot('tenants', info);

  await page.getByRole('link', { name: 'Back to sign in' }).click();
  await page.getByLabel('API key').fill('pgd_wrong');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('not valid');
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  await expect(page.getByRole('status', { name: 'Live updates on' })).toBeVisible();
});

test('settings: the VAPI key is masked, hours and limits saved', async ({}, info) => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await page.getByLabel('VAPI private key').fill('sk_test_browser_0042');
  await page.getByLabel('VAPI base URL').fill(stack.simUrl);
  await page.getByLabel('Webhook authentication').selectOption('secret');
  await page.getByLabel('Webhook secret').fill('whsec-browser-123456');
  // All day, so the test runs at any hour (the campaign's window is all day too).
  await page.getByLabel('Contact calling hours from').fill('00:00');
  await page.getByLabel('Contact calling hours to').fill('00:00');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Settings saved.' })).toBeVisible();
  await expect(page.getByText('current: …0042')).toBeVisible();
  await expect(page.getByLabel('VAPI private key')).toHaveValue('');

  await page.getByLabel('Key name').fill('reporting');
  await page.getByRole('button', { name: 'Create API key' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'shown once' })).toBeVisible();
  await page.getByRole('button', { name: 'Revoke key reporting' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Yes, revoke' }).click();
  await expect(page.getByRole('table', { name: 'API keys' }).getByRole('row', { name: /reporting/ })).toContainText('revoked');
  await shoot('settings', info);
});

test('a campaign created through the form; a refused field is shown next to it', async ({}, info) => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Campaigns' }).click();
  await page.getByRole('link', { name: 'New campaign' }).click();
  const form = page.getByRole('form', { name: 'New campaign' });
  await form.getByLabel('Name').fill('Flu shot reminders');
  await form.getByLabel('VAPI assistant id').fill('asst_browser');
  await form.getByLabel('VAPI phone number id').fill('pn_browser');
  await form.getByLabel('Time zone').fill('Mars/Olympus_Mons');
  await form.getByLabel('Window start').fill('00:00');
  await form.getByLabel('Window end').fill('00:00');
  for (const day of ['Saturday', 'Sunday']) await form.getByRole('checkbox', { name: day }).check();
  await form.getByLabel('Max attempts').fill('1');
  await form.getByLabel('Retry sequence').fill('120, soon');
  await form.getByRole('button', { name: 'Create campaign' }).click();
  // The API's 400 details for timeZone and the sequence, inline, and the fields marked invalid.
  await expect(form.getByLabel('Time zone')).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByRole('alert').filter({ hasText: 'not an IANA time zone' })).toBeVisible();
  await expect(form.getByLabel('Retry sequence')).toHaveAttribute('aria-invalid', 'true');
  await shoot('campaign-form', info);

  await form.getByLabel('Time zone').fill('America/Chicago');
  await form.getByLabel('Retry sequence').fill('');
  await form.getByRole('button', { name: 'Create campaign' }).click();
  await expect(page.getByRole('heading', { name: /Flu shot reminders/ })).toBeVisible();
  await expect(page.getByRole('heading', { name: /Flu shot reminders/ })).toContainText('draft');
});

test('a CSV imported: preview, mapping, report with the rejected rows', async ({}, info) => {
  await page.getByRole('link', { name: 'Import contacts' }).click();
  const csv = [
    'Phone,Full Name,tz,plan',
    '+1 312 555 0101,Ann Archer,America/Chicago,gold',
    '+1 312 555 0102,Bob Brown,America/Chicago,silver',
    '+1 312 555 0103,Cy Chen,America/Chicago,gold',
    '+1 312 555 0104,Di Diaz,America/Chicago,bronze',
    'not a number,Ed Evans,America/Chicago,gold',
    '+1 312 555 0105,Flo Fox,America/Chicago,silver',
  ].join('\n');
  await page.getByLabel('CSV file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  const preview = page.getByRole('table', { name: 'Preview' });
  await expect(preview.getByRole('columnheader', { name: 'Full Name' })).toBeVisible();
  await expect(preview.getByRole('row')).toHaveCount(6); // header + 5 rows shown
  await expect(page.getByLabel('Phone column')).toHaveValue('Phone');
  await page.getByLabel('Name column').selectOption('Full Name');
  await expect(page.getByText('Other columns become variables: plan.')).toBeVisible();
  await shoot('import-preview', info);
  await page.getByRole('button', { name: 'Import people.csv' }).click();
  const report = page.getByRole('region', { name: 'Import report' });
  await expect(report.getByTestId('imported')).toHaveText('5');
  await expect(report.getByTestId('rejected')).toHaveText('1');
  await expect(report.getByRole('table', { name: 'Rejected rows by code' })).toContainText('invalid_phone');
  const download = page.waitForEvent('download');
  await report.getByRole('button', { name: 'Download rejected rows (CSV)' }).click();
  const file = await download;
  const rejected = readFileSync((await file.path())!, 'utf8');
  expect(rejected).toMatch(/^line,code,message\n6,invalid_phone,/);
  await shoot('import-report', info);
  await report.getByRole('link', { name: 'Back to the campaign' }).click();
});

test('started, paused and resumed; its calls end live, without a reload', async ({}, info) => {
  await expect(page.getByRole('progressbar', { name: 'Contacts progress' })).toHaveAttribute('aria-valuetext', /5 not started/);
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Yes, start' }).click();
  await expect(page.getByRole('heading', { name: /Flu shot reminders/ })).toContainText('active');
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Yes, pause' }).click();
  await expect(page.getByRole('heading', { name: /Flu shot reminders/ })).toContainText('paused');
  await page.getByRole('button', { name: 'Resume' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Yes, resume' }).click();
  await expect(page.getByRole('heading', { name: /Flu shot reminders/ })).toContainText(/active|completed/);

  // The page is never reloaded from here: every change arrives over /v1/events.
  const navigations: string[] = [];
  page.on('framenavigated', (frame) => frame === page.mainFrame() && navigations.push(frame.url()));
  const bar = page.getByRole('progressbar', { name: 'Contacts progress' });
  await expect(bar).toHaveAttribute('aria-valuetext', /[1-9] in call/, { timeout: 30_000 });
  await shoot('campaign-live', info);
  await expect(bar).toHaveAttribute('aria-valuenow', '5', { timeout: 60_000 });
  await expect(page.getByRole('table', { name: 'Recent calls' }).getByRole('row')).toHaveCount(6);
  await expect(page.getByRole('heading', { name: /Flu shot reminders/ })).toContainText('completed', { timeout: 15_000 });
  expect(navigations.filter((url) => !url.includes('#/campaigns/'))).toEqual([]);
  await shoot('campaign', info);
});

test('a change made elsewhere (another client of the API) shows within 1 s, without a reload', async ({}, info) => {
  const headers = { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' };
  const created = await fetch(`${stack.url}/v1/campaigns`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name: 'Second wave', assistantId: 'a', phoneNumberId: 'p', timeZone: 'America/Chicago', window: { start: '00:00', end: '00:00' } }),
  }).then((response) => response.json());
  await page.goto(`${stack.url}/#/campaigns/${created.id}`);
  // Edited through the form first (a draft may be changed): the saved values come back in it.
  await page.getByRole('link', { name: 'Edit' }).click();
  const form = page.getByRole('form', { name: 'Edit campaign' });
  await expect(form.getByLabel('Name')).toHaveValue('Second wave');
  await form.getByLabel('Name').fill('Second wave (edited)');
  await form.getByLabel('Blackout date to add').fill('2026-12-25');
  await form.getByRole('button', { name: 'Add blackout date' }).click();
  await form.getByRole('button', { name: 'Add variable' }).click();
  await form.getByLabel('Variable 1 name').fill('clinic');
  await form.getByLabel('Variable 1 value').fill('North');
  await form.getByRole('button', { name: 'Save campaign' }).click();
  const heading = page.getByRole('heading', { name: /Second wave \(edited\)/ });
  await expect(heading).toContainText('draft');
  const saved = await fetch(`${stack.url}/v1/campaigns/${created.id}`, { headers }).then((response) => response.json());
  expect(saved).toMatchObject({ blackoutDates: ['2026-12-25'], variables: { clinic: 'North' } });
  const started = Date.now();
  const answer = await fetch(`${stack.url}/v1/campaigns/${created.id}/start`, { method: 'POST', headers });
  expect(answer.status).toBe(200);
  await expect(heading).toContainText('active', { timeout: 1_000 });
  info.annotations.push({ type: 'change to screen', description: `${Date.now() - started} ms` });
  await fetch(`${stack.url}/v1/campaigns/${created.id}/stop`, { method: 'POST', headers });
  await expect(heading).toContainText('stopped', { timeout: 1_000 });
});

test('the campaign page shows its retry sequence and per-attempt overrides', async () => {
  const headers = { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' };
  const created = await fetch(`${stack.url}/v1/campaigns`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      name: 'Sequenced', assistantId: 'a', phoneNumberId: 'p', timeZone: 'America/New_York', window: { start: '09:00', end: '17:00' },
      maxAttempts: 4, retrySequence: [{ afterMinutes: 120 }, { afterMinutes: 1440, shiftWindow: 'later' }],
      attemptOverrides: [{ attempt: 4, voicemailMessage: 'Please call us back.' }],
    }),
  }).then((response) => response.json());
  await page.goto(`${stack.url}/#/campaigns/${created.id}`);
  await expect(page.getByLabel('Retry sequence')).toHaveText(
    'attempt 2: 120 min after attempt 1 · attempt 3: 1440 min after attempt 2, later half of the window · attempts 4+: the retry delay · attempt 4 adds a voicemail message',
  );

  // Edited in the form: the sequence in words, the overrides kept (the form does not edit them).
  await page.goto(`${stack.url}/#/campaigns/${created.id}/edit`);
  const form = page.getByRole('form', { name: 'Edit campaign' });
  await expect(form.getByLabel('Retry sequence')).toHaveValue('120, 1440 later');
  await form.getByLabel('Retry sequence').fill('60, 30 earlier, 15');
  await form.getByRole('button', { name: /Save/ }).click();
  await expect(page.getByLabel('Retry sequence')).toHaveText(
    'attempt 2: 60 min after attempt 1 · attempt 3: 30 min after attempt 2, earlier half of the window · attempt 4: 15 min after attempt 3 · attempt 4 adds a voicemail message',
  );
});

test('a call opened: transcript as turns, a recording player, the timeline', async ({}, info) => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Calls' }).click();
  await page.getByLabel('Outcome').selectOption('answered');
  const table = page.getByRole('table', { name: 'Calls' });
  await expect(table.getByRole('row').nth(1)).toContainText('answered');
  // The number the call was placed from (the campaign's one, unregistered: its VAPI id), in the
  // list and in the call.
  await expect(table.getByRole('columnheader', { name: 'Caller number' })).toBeVisible();
  await expect(table.getByRole('row').nth(1)).toContainText('pn_browser');
  await table.getByRole('row').nth(1).getByRole('link').click();
  const drawer = page.getByRole('dialog', { name: /Call to/ });
  await expect(drawer.getByRole('definition').filter({ hasText: 'pn_browser' })).toBeVisible();
  await expect(drawer.getByRole('list', { name: 'Transcript' }).getByRole('listitem').first()).toBeVisible();
  expect(await drawer.getByRole('list', { name: 'Transcript' }).getByRole('listitem').count()).toBeGreaterThan(1);
  await expect(drawer.getByLabel('Call recording')).toHaveAttribute('src', /^https?:\/\//);
  await expect(drawer.getByRole('list', { name: 'Timeline' })).toContainText('end-of-call-report');
  await shoot('call', info);
  await drawer.getByRole('button', { name: 'Close' }).click();
  await expect(drawer).toBeHidden();
  await shoot('calls', info);
});

test('a do-not-call number added with its reason', async ({}, info) => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Contacts' }).click();
  await expect(page.getByRole('table', { name: 'Contacts' }).getByRole('row')).toHaveCount(6);
  await page.getByLabel('Search contacts').fill('Ann');
  await expect(page.getByRole('table', { name: 'Contacts' }).getByRole('row')).toHaveCount(2);
  const form = page.getByRole('form', { name: 'Add a do-not-call number' });
  await form.getByLabel('Phone number').fill('12');
  await form.getByRole('button', { name: 'Add to do-not-call' }).click();
  await expect(form.getByRole('alert')).toBeVisible();
  await form.getByLabel('Phone number').fill('(312) 555-0199');
  await form.getByLabel('Reason').fill('asked on the phone');
  await form.getByRole('button', { name: 'Add to do-not-call' }).click();
  await expect(page.getByRole('status').filter({ hasText: '+13125550199 added' })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Do-not-call numbers' })).toContainText('asked on the phone');
  await shoot('contacts', info);
  await page.getByRole('button', { name: 'Remove +13125550199 from do-not-call' }).click();
  await expect(page.getByRole('table', { name: 'Do-not-call numbers' })).not.toContainText('+13125550199');

  // A contact edited in place.
  await page.getByRole('button', { name: 'Edit +13125550101' }).click();
  const edit = page.getByRole('form', { name: 'Edit +13125550101' });
  await edit.getByLabel('Name').fill('Ann Archer-Lee');
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('table', { name: 'Contacts' })).toContainText('Ann Archer-Lee');
});

test('overview and lists at 1280 and 375 px, keyboard-operable', async ({}, info) => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
  await expect(page.getByRole('img', { name: 'Outcomes per hour, last 24 hours' })).toBeVisible();
  await expect(page.getByRole('definition').filter({ hasText: /^\$\d+\.\d{2,4}$/ })).toBeVisible();
  await shoot('overview', info);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Campaigns' }).click();
  await expect(page.getByRole('table', { name: 'Campaigns' })).toContainText('Flu shot reminders');
  await shoot('campaigns', info);

  // Keyboard: from the Campaigns link (just clicked), Tab reaches the next one and Enter follows it.
  await page.keyboard.press('Tab');
  await expect(page.locator(':focus')).toHaveText('Calls');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Calls', level: 1 })).toBeVisible();

  await page.setViewportSize({ width: 375, height: 800 });
  for (const [hash, name] of [['#/', 'overview-375'], ['#/campaigns', 'campaigns-375'], ['#/calls', 'calls-375'], ['#/campaigns/new', 'campaign-form-375'], ['#/contacts', 'contacts-375'], ['#/settings', 'settings-375']] as const) {
    await page.goto(`${stack.url}/${hash}`);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    expect(await fitsWidth(), `${hash} fits 375 px`).toBe(true);
    await shoot(name, info, { mobile: true });
  }
  await page.getByRole('button', { name: 'Menu' }).click();
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' })).toBeVisible();
  await page.setViewportSize({ width: 1280, height: 860 });
});
