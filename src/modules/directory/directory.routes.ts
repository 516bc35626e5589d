import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../platform/auth/auth.service.js';
import { hasRight } from '../../platform/auth/rights.js';
import { principalOf } from '../../platform/http/auth-hook.js';
import { DirectoryError } from './directory.errors.js';
import * as S from './directory.schemas.js';
import type { DirectoryServices } from './index.js';

const by = (request: Parameters<typeof principalOf>[0]) => actorOf(principalOf(request));
const tags = { tags: ['directory'] };

/** Thin HTTP adapter of the directory: parse, call one service function, shape the reply. */
export async function registerDirectoryRoutes(app: FastifyInstance, s: DirectoryServices): Promise<void> {
  await app.register(async (scope) => {
    // The bulk import takes the CSV file as the request body, as `gpto directory import` reads it.
    scope.addContentTypeParser(
      ['text/csv', 'text/plain'],
      { parseAs: 'buffer', bodyLimit: 200 * 1024 * 1024 },
      (_req, body, done) => done(null, body),
    );

    scope.get(
      '/api/v1/directory/search',
      {
        config: { right: 'directory:search' },
        schema: {
          ...tags,
          querystring: S.SearchQuery,
          description:
            'Directory enquiries: fragments, any order, no accents, typos, French sound-alikes, nicknames; best first, 20 at a time. Never returns unlisted (red-list) listings.',
        },
      },
      async (req) =>
        s.search.search(req.query as S.SearchQuery, {
          technical: hasRight(principalOf(req).rights, 'directory:technical'),
        }),
    );

    scope.get(
      '/api/v1/directory/headings',
      { config: { right: 'directory:search' }, schema: { ...tags } },
      async () => s.listings.headings(),
    );
    scope.post(
      '/api/v1/directory/headings',
      { config: { right: 'directory:write' }, schema: { ...tags, body: S.HeadingCreate } },
      async (req, reply) =>
        reply.status(201).send(await s.listings.createHeading(req.body as S.HeadingCreate, by(req))),
    );

    scope.get(
      '/api/v1/directory/listings',
      { config: { right: 'directory:write' }, schema: { ...tags, querystring: S.ListingQuery } },
      async (req) => s.listings.list(req.query as S.ListingQuery),
    );
    scope.post(
      '/api/v1/directory/listings',
      { config: { right: 'directory:write' }, schema: { ...tags, body: S.ListingCreate } },
      async (req, reply) => {
        const listing = await s.listings.create(req.body as S.ListingCreate, by(req));
        return reply
          .status(201)
          .header('location', `/api/v1/directory/listings/${listing.code}`)
          .send(listing);
      },
    );
    scope.get(
      '/api/v1/directory/listings/:code',
      { config: { right: 'directory:write' }, schema: { ...tags, params: S.CodeParam } },
      async (req) => s.listings.get((req.params as { code: string }).code, by(req)),
    );
    scope.patch(
      '/api/v1/directory/listings/:code',
      {
        config: { right: 'directory:write' },
        schema: { ...tags, params: S.CodeParam, body: S.ListingPatch },
      },
      async (req) =>
        s.listings.update((req.params as { code: string }).code, req.body as S.ListingPatch, by(req)),
    );
    scope.delete(
      '/api/v1/directory/listings/:code',
      { config: { right: 'directory:write' }, schema: { ...tags, params: S.CodeParam } },
      async (req, reply) => {
        await s.listings.remove((req.params as { code: string }).code, by(req));
        return reply.status(204).send();
      },
    );

    scope.post(
      '/api/v1/directory/import',
      {
        config: { right: 'directory:write' },
        schema: {
          ...tags,
          querystring: S.ImportQuery,
          description:
            'Bulk import of listings: body is the CSV file (text/csv) with the header documented in docs/directory.md. Idempotent; returns the report of rejected rows.',
        },
      },
      async (req) => {
        if (!Buffer.isBuffer(req.body)) {
          throw new DirectoryError(
            'invalid',
            'directory.import_invalid',
            'send the CSV file as text/csv',
            'file',
          );
        }
        const q = req.query as S.ImportQuery;
        return s.imports.importCsv(req.body, by(req), {
          strict: q.strict ?? false,
          dryRun: q.dryRun ?? false,
        });
      },
    );

    const editionGuard = (
      req: Parameters<typeof principalOf>[0],
      directory: S.EditionQuery & { directory?: string },
    ) => {
      if (directory.directory === 'technical' && !hasRight(principalOf(req).rights, 'directory:technical')) {
        throw new DirectoryError(
          'forbidden',
          'directory.invalid',
          'the technical list is for technical roles only',
          'directory',
        );
      }
    };
    scope.get(
      '/api/v1/directory/editions/:directory/pdf',
      {
        config: { right: 'directory:edition' },
        schema: { ...tags, params: S.EditionParams, querystring: S.EditionQuery },
      },
      async (req, reply) => {
        const { directory } = req.params as { directory: 'alphabetical' | 'professional' | 'technical' };
        const { locality } = req.query as S.EditionQuery;
        editionGuard(req, { directory });
        const { pdf, pages } = await s.editions.pdf(directory, locality);
        return reply
          .type('application/pdf')
          .header('x-edition-pages', String(pages.length))
          .header(
            'content-disposition',
            `inline; filename="${directory}${locality ? `-${encodeURIComponent(locality)}` : ''}.pdf"`,
          )
          .send(pdf);
      },
    );
    scope.get(
      '/api/v1/directory/editions/:directory/csv',
      {
        config: { right: 'directory:edition' },
        schema: { ...tags, params: S.EditionParams, querystring: S.EditionQuery },
      },
      async (req, reply) => {
        const { directory } = req.params as { directory: 'alphabetical' | 'professional' | 'technical' };
        const { locality } = req.query as S.EditionQuery;
        editionGuard(req, { directory });
        return reply
          .type('text/csv; charset=utf-8')
          .header(
            'content-disposition',
            `attachment; filename="${directory}${locality ? `-${encodeURIComponent(locality)}` : ''}.csv"`,
          )
          .send(await s.editions.csv(directory, locality));
      },
    );
  });
}
