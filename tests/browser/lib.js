// Shared helpers of the browser suite: Chromium, sign-in, screenshots, axe-core.
// The server under test is at $CARNET_URL (tests/browser/run.sh starts it on a
// fresh demo organisation, seed 7).
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export const BASE = (process.env.CARNET_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
export const PASSWORD = 'demo-carnet-2026';
export const SCREENSHOTS = process.env.CARNET_SCREENSHOTS || 'target/artifacts/screenshots';

/** Headless Debian Chromium; never a downloaded browser. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // The machine has no network but the loopback: keep Chromium from calling home.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A fresh context (own cookies) and its page. `options.bypassCSP` only for axe runs. */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({
    baseURL: BASE,
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
    ...options,
  });
  context.setDefaultTimeout(20_000);
  context.setDefaultNavigationTimeout(30_000);
  return context.newPage();
}

/** Signs in through the form; ends on the page the server sends after it. */
export async function signIn(page, login, { suite } = {}) {
  const target = suite ? `/connexion?suite=${encodeURIComponent(suite)}` : '/connexion';
  await page.goto(target);
  await page.getByLabel('Identifiant').fill(login);
  await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForLoadState('load');
  const url = new URL(page.url());
  if (url.pathname === '/connexion') {
    const error = await page.locator('p.erreur').allTextContents();
    assert.fail(`connexion de ${login} refusée : ${error.join(' ') || '(aucun message)'}`);
  }
}

/** A new page in its own context, already signed in as `login`. */
export async function signedInPage(browser, login, options = {}) {
  const page = await newPage(browser, options);
  await signIn(page, login);
  return page;
}

/** Goes to `path` and checks the HTTP status of the answer. */
export async function visit(page, target, status = 200) {
  const response = await page.goto(target);
  assert.ok(response, `aucune réponse pour ${target}`);
  assert.equal(response.status(), status, `${target} : statut HTTP ${response.status()}, attendu ${status}`);
  return response;
}

/** Full-page PNG in $CARNET_SCREENSHOTS/NAME.png. */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Today's date and the first day of its month, as the server sees them (Europe/Paris). */
export function currentMonth(now = new Date()) {
  const today = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/Paris',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now);
  return { du: `${today.slice(0, 8)}01`, au: today };
}

/** Lower case without accents: what a hurried user types in the search box. */
export function plain(text) {
  return text.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();
}

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core on the page as it is (the page must come from a context with
 * bypassCSP: the CSP forbids the injected script) and fails on any violation
 * of impact serious or critical. Returns, for the log, the lesser violations
 * and what axe could not decide alone (to be reviewed by a person).
 */
export async function assertAccessible(page, label) {
  await page.addScriptTag({ content: axeSource });
  const results = await page.evaluate(() =>
    window.axe.run(document, { resultTypes: ['violations', 'incomplete'] }),
  );
  const blocking = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const minor = results.violations.filter((v) => !blocking.includes(v));
  assert.ok(
    blocking.length === 0,
    `${label} (${page.url()}) : ${blocking.length} violation(s) d'accessibilité graves ou critiques\n${describe(blocking)}`,
  );
  return { minor, review: results.incomplete };
}

/** Violations, one paragraph each: rule, impact, help, then each node's selector and summary (10 at most). */
export function describe(violations, max = 10) {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .slice(0, max)
        .map((n) => `    - ${n.target.join(' ')}\n      ${n.html.slice(0, 200)}\n      ${(n.failureSummary || '').replace(/\n/g, '\n      ')}`)
        .join('\n');
      const more = v.nodes.length > max ? `\n    … et ${v.nodes.length - max} autre(s)` : '';
      return `  [${v.impact}] ${v.id} : ${v.help} (${v.nodes.length} élément(s))\n    ${v.helpUrl}\n${nodes}${more}`;
    })
    .join('\n');
}
