// The collection platform (carnet platform serve) in Chromium: a porteur
// uploads a good and a bad workbook and reads the French report, attaches a
// proof that an ARS agent then reviews; the ARS
// agent's dashboard shows its chart; axe-core finds no serious or critical
// violation on the platform's pages. The server is at $CARNET_PLATFORM_URL,
// on the demo database of tests/browser/run.sh (carnet demo seeds the
// platform: projects 4107, 5001, 6002 and one account per role).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertAccessible, describe, launch, newPage, screenshot, signIn, visit } from './lib.js';

const PLATFORM = (process.env.CARNET_PLATFORM_URL || 'http://127.0.0.1:8081').replace(/\/$/, '');
const here = path.dirname(fileURLToPath(import.meta.url));
const GOOD = path.join(here, '../../crates/collect/tests/fixtures/recueil_propre_2024_05.xlsx');
const BAD = path.join(here, 'fixtures/recueil_avec_erreurs_2024_05.xlsx');

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** A page of the platform, signed in as `login` (CSP bypassed only for axe). */
async function platformPage(login, options = {}) {
  const page = await newPage(browser, { baseURL: PLATFORM, ...options });
  await signIn(page, login);
  return page;
}

async function check(t, page, name) {
  await screenshot(page, name);
  const { minor, review } = await assertAccessible(page, name);
  for (const [title, list] of [
    ['violations mineures ou modérées (non bloquantes)', minor],
    ['à vérifier par une personne', review],
  ]) {
    if (!list.length) continue;
    t.diagnostic(`${name} : ${title}`);
    for (const line of describe(list).split('\n')) t.diagnostic(line);
  }
}

/** Uploads through the form; the report page carries the form again, so a
 * second upload starts from it (no navigation to the URL just posted to). */
async function upload(page, file) {
  if (new URL(page.url()).pathname !== '/plateforme/depot') {
    await visit(page, '/plateforme/depot');
  }
  await page.getByLabel('Fichier de recueil (.xlsx)').setInputFiles(file);
  await page.getByRole('button', { name: 'Déposer et vérifier' }).click();
  await page.waitForLoadState('load');
}

test('porteur : un fichier correct est accepté, un fichier fautif refusé avec son rapport', async () => {
  const page = await platformPage('porteur');
  assert.equal(new URL(page.url()).pathname, '/plateforme');
  await upload(page, GOOD);
  const verdict = page.locator('#verdict');
  assert.match(await verdict.innerText(), /Fichier accepté/);
  assert.match(await verdict.innerText(), /version 2/);
  await screenshot(page, 'plateforme-depot-accepte');

  await upload(page, BAD);
  assert.match(await page.locator('#verdict').innerText(), /Fichier refusé/);
  const report = await page.locator('#constats').innerText();
  assert.match(report, /I2/);
  assert.match(report, /999/);
  assert.match(report, /C3/);
  assert.match(report, /zéro initial/);
  await screenshot(page, 'plateforme-depot-refuse');

  // The two versions of May 2024 are listed; the first one is superseded.
  await visit(page, '/plateforme/projets/4107');
  const versions = await page.locator('main').innerText();
  assert.match(versions, /Version 2/);
  assert.match(versions, /remplacée/);
  await page.context().close();
});

test("porteur : une preuve jointe à la version en vigueur est contrôlée, l'ARS la vérifie", async (t) => {
  const page = await platformPage('porteur', { bypassCSP: true });
  await visit(page, '/plateforme/projets/4107');
  await page
    .locator('tr', { hasText: 'en vigueur' })
    .first()
    .getByRole('link', { name: /^Version \d+$/ })
    .click();
  await page.waitForLoadState('load');
  await check(t, page, 'plateforme-version-preuve');
  await page.getByLabel('ESSMS', { exact: true }).selectOption({ index: 1 });
  await page.getByLabel(/Fichier de la preuve/).setInputFiles({
    name: 'attestation-mai.pdf',
    mimeType: 'application/pdf',
    buffer: Buffer.from('%PDF-1.4\n%%EOF\n'),
  });
  await page.getByRole('button', { name: 'Joindre et contrôler' }).click();
  await page.waitForLoadState('load');
  const heading = await page.locator('#preuve-jointe').innerText();
  assert.match(heading, /attestation-mai\.pdf/);
  assert.match(await page.locator('#verdict-preuve').innerText(), /à vérifier manuellement/);
  await screenshot(page, 'plateforme-preuve-jointe');
  const id = heading.match(/Preuve n° (\d+)/)[1];
  const version = new URL(page.url()).pathname;
  await page.context().close();

  // The ARS agent of the region records the manual review on the same page.
  const ars = await platformPage('ars');
  await visit(ars, version);
  const form = ars.getByRole('form', { name: `Vérification manuelle de la preuve ${id}` });
  await form.getByLabel('conforme', { exact: true }).check();
  await form.getByLabel('Commentaire').fill('FINESS, période et DUI actifs lus sur l\'attestation');
  await form.getByRole('button', { name: 'Enregistrer la vérification' }).click();
  await ars.waitForLoadState('load');
  const row = ars.locator('tr', { has: ars.locator('th', { hasText: new RegExp(`^${id}$`) }) });
  assert.match(await row.innerText(), /vérifiée manuellement : conforme/);
  await ars.context().close();
});

test("agent d'ARS : le tableau de bord de sa région montre le graphique", async () => {
  const page = await platformPage('ars');
  await page.getByRole('link', { name: 'Tableau de bord', exact: true }).click();
  await page.waitForLoadState('load');
  assert.equal(new URL(page.url()).pathname, '/plateforme/tableau-de-bord/regions/75');
  const chart = page.locator('#graphique');
  await chart.waitFor();
  const width = await chart.evaluate(async (img) => {
    await img.decode();
    return img.naturalWidth;
  });
  assert.ok(width > 0, 'le graphique SVG est chargé');
  // The last twelve months by default: those of the demo DUI's project (9001,
  // declared by carnet demo up to last month); 2024's on asking for them.
  assert.match(await page.locator('#indicateurs').innerText(), /\b20\d\d\b/);
  await visit(page, '/plateforme/tableau-de-bord/regions/75?du=2024-03&au=2024-05');
  assert.match(await page.locator('#indicateurs').innerText(), /mai 2024/);
  // Another region's project is out of reach, even by its address.
  await visit(page, '/plateforme/projets/5001', 404);
  await page.context().close();
});

test('plateforme : aucune violation grave ou critique (axe-core)', async (t) => {
  const anonymous = await newPage(browser, { baseURL: PLATFORM, bypassCSP: true });
  await visit(anonymous, '/connexion');
  await check(t, anonymous, 'plateforme-connexion');
  await anonymous.context().close();

  const porteur = await platformPage('porteur', { bypassCSP: true });
  for (const [target, name] of [
    ['/plateforme', 'plateforme-accueil-porteur'],
    ['/plateforme/depot', 'plateforme-depot'],
    ['/plateforme/projets/4107', 'plateforme-projet'],
    ['/plateforme/tableau-de-bord/projets/4107', 'plateforme-tableau-projet'],
  ]) {
    await visit(porteur, target);
    await check(t, porteur, name);
  }
  await visit(porteur, '/plateforme/projets/4107');
  await porteur.getByRole('link', { name: /^Version 1$/ }).first().click();
  await porteur.waitForLoadState('load');
  await check(t, porteur, 'plateforme-version');
  await porteur.context().close();

  const cnsa = await platformPage('cnsa', { bypassCSP: true });
  for (const [target, name] of [
    ['/plateforme', 'plateforme-accueil-cnsa'],
    ['/plateforme/tableau-de-bord/national', 'plateforme-tableau-national'],
  ]) {
    await visit(cnsa, target);
    await check(t, cnsa, name);
  }
  await visit(cnsa, '/plateforme/depot', 403);
  await check(t, cnsa, 'plateforme-refus');
  await cnsa.context().close();
});
