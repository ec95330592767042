// Who may open what: sign-in redirections, a wrong password, refusals (403)
// for a role without the right, and the sections a role does not see.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, PASSWORD, launch, newPage, screenshot, signIn, signedInPage, visit } from './lib.js';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test("sans session, une page renvoie à la connexion puis, connecté, à la page demandée", async () => {
  const page = await newPage(browser);
  await visit(page, '/tableau-de-bord');
  const url = new URL(page.url());
  assert.equal(url.pathname, '/connexion');
  assert.equal(url.searchParams.get('suite'), '/tableau-de-bord');
  await page.getByLabel('Identifiant').fill('direction');
  await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForLoadState('load');
  assert.equal(new URL(page.url()).pathname, '/tableau-de-bord');
  assert.equal((await page.locator('h1').innerText()).trim(), 'Tableau de bord des indicateurs ESMS numérique');
  await page.context().close();
});

test('la suite après connexion ne mène jamais hors du site', async () => {
  const page = await newPage(browser);
  // Nothing may leave the machine: any request to another origin is cut.
  const elsewhere = [];
  await page.context().route(
    (u) => u.origin !== BASE,
    (route) => {
      elsewhere.push(route.request().url());
      return route.abort();
    },
  );
  await signIn(page, 'direction', { suite: '//exemple.invalid/personnes' });
  assert.equal(new URL(page.url()).origin, BASE);
  assert.deepEqual(elsewhere, []);
  await page.context().close();
});

test('mot de passe erroné : 401 et message annoncé', async () => {
  const page = await newPage(browser);
  await visit(page, '/connexion');
  await page.getByLabel('Identifiant').fill('educ');
  await page.getByLabel('Mot de passe', { exact: true }).fill('pas-le-bon-mot-de-passe');
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/connexion' && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Se connecter' }).click(),
  ]);
  assert.equal(response.status(), 401);
  await page.waitForLoadState('load');
  const alert = page.locator('p.erreur[role=alert]');
  assert.equal(await alert.count(), 1);
  assert.ok((await alert.innerText()).trim().length > 0);
  // The login stays filled in, the password does not.
  assert.equal(await page.getByLabel('Identifiant').inputValue(), 'educ');
  assert.equal(await page.getByLabel('Mot de passe', { exact: true }).inputValue(), '');
  await screenshot(page, 'connexion-erreur');
  // The right password still works after one failure.
  await signIn(page, 'educ');
  await page.context().close();
});

test("accueil : le tableau de bord est refusé (403, « Accès refusé »)", async () => {
  const page = await signedInPage(browser, 'accueil');
  assert.ok(!(await page.locator('header.bandeau nav a', { hasText: 'Tableau de bord' }).count()), 'pas de lien vers le tableau de bord');
  await visit(page, '/tableau-de-bord', 403);
  assert.equal((await page.locator('h1').innerText()).trim(), 'Accès refusé');
  const message = (await page.locator('p.erreur[role=alert]').innerText()).trim();
  assert.match(message, /rôle « Administratif \/ accueil »/);
  assert.match(message, /« Indicateurs d'usage »/);
  await screenshot(page, 'refus-403-accueil');
  await page.context().close();
});

test("infirmier : l'administration est refusée (403)", async () => {
  const page = await signedInPage(browser, 'ide');
  await visit(page, '/administration', 403);
  assert.equal((await page.locator('h1').innerText()).trim(), 'Accès refusé');
  assert.match(await page.locator('p.erreur[role=alert]').innerText(), /administrateur.*« Infirmier »/s);
  await page.context().close();
});

test("administrateur : pas d'agenda (403)", async () => {
  const page = await signedInPage(browser, 'admin');
  assert.equal(await page.locator('header.bandeau nav a', { hasText: 'Agenda' }).count(), 0);
  await visit(page, '/administration');
  await visit(page, '/agenda', 403);
  assert.equal((await page.locator('h1').innerText()).trim(), 'Accès refusé');
  assert.match(await page.locator('p.erreur[role=alert]').innerText(), /« Administrateur ».*« Agenda »/s);
  await page.context().close();
});

test("accueil : un dossier sans transmissions ni soins, sans formulaire de transmission", async () => {
  // A record of the first establishment, with transmissions, as the nurse sees it…
  const nurse = await signedInPage(browser, 'ide');
  const href = await nurse.locator('table a[href^="/personnes/"]').first().getAttribute('href');
  await visit(nurse, href);
  const kinds = await nurse.locator('ol.chrono li .meta strong').allInnerTexts();
  assert.ok(kinds.includes('Transmission'), `chronologie vue par ide : ${kinds.join(', ')}`);
  assert.equal(await nurse.locator('#t-transmission').count(), 1);
  await nurse.context().close();

  // …and as the front desk sees it.
  const page = await signedInPage(browser, 'accueil');
  await visit(page, href);
  assert.equal(await page.locator('#t-identite').count(), 1, 'identité visible');
  assert.equal(await page.locator('#agenda').count(), 1, 'agenda visible');
  assert.equal(await page.locator('#t-transmission').count(), 0, 'pas de formulaire de transmission');
  const seen = await page.locator('ol.chrono li .meta strong').allInnerTexts();
  const forbidden = seen.filter((k) => /^(Transmission|Observation|Acte de soin|Entretien|Activité éducative)/.test(k));
  assert.deepEqual(forbidden, [], `chronologie vue par accueil : ${seen.join(', ')}`);
  assert.equal(await page.getByRole('link', { name: 'Qui a consulté ce dossier' }).count(), 0);
  await page.context().close();
});
