// axe-core on every main page, and a full-page screenshot of each. Fails on
// any violation of impact serious or critical; lesser ones, and what axe
// leaves to a person's review, are logged.
// The pages' CSP forbids the injected axe script: these contexts bypass it,
// and only these.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertAccessible, currentMonth, describe, launch, newPage, screenshot, signIn, visit } from './lib.js';

let browser;
const pages = {};
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function as(login) {
  if (!pages[login]) {
    const page = await newPage(browser, { bypassCSP: true });
    await signIn(page, login);
    pages[login] = page;
  }
  return pages[login];
}

/** Accessibility check and screenshot of the page as it is now. */
async function check(t, page, name) {
  await screenshot(page, name);
  const { minor, review } = await assertAccessible(page, name);
  for (const [title, list] of [
    ['violations mineures ou modérées (non bloquantes)', minor],
    ['à vérifier par une personne (axe ne peut pas trancher)', review],
  ]) {
    if (!list.length) continue;
    t.diagnostic(`${name} : ${title}`);
    for (const line of describe(list).split('\n')) t.diagnostic(line);
  }
}

test('connexion', async (t) => {
  const page = await newPage(browser, { bypassCSP: true });
  await visit(page, '/connexion');
  await check(t, page, 'connexion');
  await page.context().close();
});

test('personnes : recherche avec résultats', async (t) => {
  const page = await as('direction');
  await visit(page, '/personnes');
  await page.locator('#nom').fill('a');
  await page.getByRole('button', { name: 'Rechercher' }).click();
  await page.waitForLoadState('load');
  assert.ok((await page.locator('table a[href^="/personnes/"]').count()) > 0, 'des résultats');
  await check(t, page, 'personnes-recherche');
});

test('dossier (direction) et journal des accès', async (t) => {
  const page = await as('direction');
  await visit(page, '/personnes');
  await page.locator('table a[href^="/personnes/"]').first().click();
  await page.waitForLoadState('load');
  assert.match(new URL(page.url()).pathname, /^\/personnes\/\d+$/);
  await check(t, page, 'dossier-direction');
  await page.getByRole('link', { name: 'Qui a consulté ce dossier' }).click();
  await page.waitForLoadState('load');
  assert.match(new URL(page.url()).pathname, /^\/personnes\/\d+\/acces$/);
  assert.ok((await page.locator('tbody tr').count()) > 0, 'le journal a au moins la consultation en cours');
  await check(t, page, 'journal-acces');
});

test('dossier (infirmier, avec le formulaire de transmission)', async (t) => {
  const page = await as('ide');
  await visit(page, '/personnes');
  await page.locator('table a[href^="/personnes/"]').first().click();
  await page.waitForLoadState('load');
  assert.equal(await page.locator('textarea#texte-transmission').count(), 1);
  await check(t, page, 'dossier-ide');
});

test('agenda : jour', async (t) => {
  const page = await as('direction');
  await visit(page, '/agenda?vue=jour');
  await check(t, page, 'agenda-jour');
});

test('agenda : semaine', async (t) => {
  const page = await as('direction');
  await visit(page, '/agenda?vue=semaine');
  assert.ok((await page.locator('section.jour').count()) >= 5, 'une section par jour');
  await check(t, page, 'agenda-semaine');
});

test('tableau de bord avec explication', async (t) => {
  const page = await as('direction');
  const { du, au } = currentMonth();
  await visit(page, `/tableau-de-bord?du=${du}&au=${au}`);
  await page.getByRole('link', { name: 'Expliquer' }).first().click();
  await page.waitForLoadState('load');
  await page.locator('#explication-table').waitFor();
  const chart = page.locator('img.graphique');
  assert.ok(await chart.evaluate((img) => img.complete && img.naturalWidth > 0), 'le graphique SVG se charge');
  await check(t, page, 'tableau-de-bord');
});

test('administration', async (t) => {
  const page = await as('admin');
  await visit(page, '/administration');
  await check(t, page, 'administration');
});

test('refus (403)', async (t) => {
  const page = await as('accueil');
  await visit(page, '/tableau-de-bord', 403);
  await check(t, page, 'refus-403');
});
