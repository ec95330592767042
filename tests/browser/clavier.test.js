// Keyboard only: from the page start, Tab reaches the login, the password and
// the button in that order; typing and Enter sign in. Then the skip link of a
// signed-in page moves focus to the main content.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, launch, newPage, screenshot } from './lib.js';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** What has the focus: "#id", "a:text" or "button:text". */
function focused(page) {
  return page.evaluate(() => {
    const e = document.activeElement;
    if (!e || e === document.body) return 'body';
    if (e.id) return `#${e.id}`;
    return `${e.tagName.toLowerCase()}:${e.textContent.trim()}`;
  });
}

test('connexion au clavier seul', async (t) => {
  const page = await newPage(browser);
  await page.goto('/connexion');
  // The sign-in field may take the focus by itself (autofocus); otherwise
  // Tab from the page start gets there, through a skip link if there is one.
  const path = [await focused(page)];
  while (path.at(-1) !== '#identifiant' && path.length < 4) {
    await page.keyboard.press('Tab');
    path.push(await focused(page));
  }
  assert.equal(path.at(-1), '#identifiant', `parcours au clavier : ${path.join(' → ')}`);
  assert.ok(
    path.slice(1, -1).every((p) => p === 'a:Aller au contenu'),
    `rien d'autre avant l'identifiant : ${path.join(' → ')}`,
  );
  t.diagnostic(`focus au chargement puis Tab : ${path.join(' → ')}`);
  await page.keyboard.type('ide');
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), '#mot_de_passe');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), 'button:Se connecter');
  // Focus is visible on the button (outline of :focus-visible).
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'contour de focus visible');
  await screenshot(page, 'connexion-clavier');
  await Promise.all([page.waitForURL((u) => u.pathname !== '/connexion'), page.keyboard.press('Enter')]);
  assert.equal(new URL(page.url()).pathname, '/personnes');
  assert.match(await page.locator('header.bandeau .compte').innerText(), /Infirmier/);

  // Signed in: the first Tab stop is the skip link, and it leads to <main>.
  await page.reload();
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), 'a:Aller au contenu');
  assert.ok(await page.locator('a.skip').isVisible(), 'le lien d’évitement apparaît quand il a le focus');
  await page.keyboard.press('Enter');
  assert.equal(await focused(page), '#contenu');
  await page.context().close();
});
