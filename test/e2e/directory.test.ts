import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../app.js';
import {
  browserAvailability,
  errorsOf,
  login,
  newPage,
  shot,
  startSession,
  type Session,
} from './browser.js';

const availability = browserAvailability();
if (!availability.run) process.stderr.write(`\n${availability.reason}\n`);

describe.skipIf(!availability.run)(
  `directory enquiries in the browser${availability.run ? '' : ` — ${availability.reason}`}`,
  () => {
    let s: Session;
    beforeAll(async () => {
      s = await startSession();
      const admin = await s.t.login('admin', 'admin-test-password');
      const listings = [
        {
          directory: 'alphabetical',
          title: 'M.',
          lastName: 'Gueye',
          firstNames: 'Mamadou',
          numbers: ['338231111'],
        },
        {
          directory: 'alphabetical',
          title: 'Mme',
          lastName: 'Gaye',
          firstNames: 'Fatou',
          numbers: ['338232222'],
        },
        {
          directory: 'professional',
          company: 'Pharmacie du Plateau',
          heading: 'Santé > Pharmacies',
          numbers: ['338233333'],
          address: { street: 'Avenue Pompidou', locality: 'Dakar' },
        },
        {
          directory: 'alphabetical',
          lastName: 'Gueye',
          firstNames: 'Secret',
          numbers: ['338234444'],
          unlisted: true,
        },
      ];
      for (const l of listings) {
        const res = await s.t.call('POST', '/api/v1/directory/listings', admin, l);
        expect(res.statusCode, res.body).toBe(201);
      }
    }, 240_000);
    afterAll(async () => {
      await s?.close();
    });

    it('an enquiry operator lands on the directory, finds listings as they type and moves with the keyboard', async () => {
      const page = await newPage(s);
      await login(page, s.base, 'enquiries', DEMO_PASSWORD);
      // The operator has no customer rights: the directory is their home screen.
      await expect(page.getByRole('link', { name: 'Recherche client' }).count()).resolves.toBe(0);
      const box = page.getByTestId('directory-search');
      await box.waitFor();
      await box.pressSequentially('gueye', { delay: 30 });
      const results = page.getByTestId('directory-results');
      await results.getByText('338231111').waitFor();
      // The red list is never disclosed.
      await expect(results.getByText('338234444').count()).resolves.toBe(0);
      await box.press('ArrowDown');
      const selected = page.locator('[role=option][aria-selected=true]');
      await expect(selected.count()).resolves.toBe(1);
      await shot(page, '20-directory-gueye');

      await box.fill('');
      await box.pressSequentially('pharma dakar', { delay: 30 });
      await results.getByText('Pharmacie du Plateau').waitFor();
      await expect(results.textContent()).resolves.toContain('338233333');
      await shot(page, '21-directory-professional');
      await box.press('Escape');
      await expect(box.inputValue()).resolves.toBe('');
      expect(errorsOf(page)).toEqual([]);
      await page.context().close();
    });
  },
);
