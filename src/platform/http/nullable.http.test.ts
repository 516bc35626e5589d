import Fastify from 'fastify';
import { Type, type TSchema } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { buildValidator, VALIDATOR_OPTIONS } from '../../app.js';
import { Nullable, Scalar } from './nullable.js';

/** What a route with `schema` as its body's field `v` receives for `v`, with the app's validators. */
async function received(schema: TSchema, values: unknown[]): Promise<unknown[]> {
  const app = Fastify({
    ajv: { customOptions: VALIDATOR_OPTIONS },
    schemaController: { compilersFactory: { buildValidator: buildValidator as never } },
  });
  app.post('/', { schema: { body: Type.Object({ v: schema }) } }, async (req) => ({
    got: (req.body as { v: unknown }).v,
  }));
  const out: unknown[] = [];
  for (const v of values) {
    const res = await app.inject({ method: 'POST', url: '/', payload: { v } });
    out.push(res.statusCode === 200 ? (res.json() as { got: unknown }).got : 'invalid');
  }
  await app.close();
  return out;
}

describe('null in request bodies, with type coercion on', () => {
  it('Nullable keeps null as null and every other value in its own type', async () => {
    expect(await received(Nullable(Type.String({ maxLength: 5 })), [null, '', 'ab', 'toolong'])).toEqual([
      null,
      '',
      'ab',
      'invalid',
    ]);
    expect(await received(Nullable(Type.Integer({ minimum: 0 })), [null, 0, 7, 'x'])).toEqual([
      null,
      0,
      7,
      'invalid',
    ]);
    expect(
      await received(Nullable(Type.Union([Type.Literal('a'), Type.Literal('b')])), [null, 'a', 'c']),
    ).toEqual([null, 'a', 'invalid']);
  });

  it('a JSON body keeps its types: no null, "" or "7" taken for a number, no null for a string', async () => {
    expect(await received(Type.Integer({ minimum: 0 }), [null, '', '7', 7])).toEqual([
      'invalid',
      'invalid',
      'invalid',
      7,
    ]);
    expect(await received(Type.String(), [null, 7, 'a'])).toEqual(['invalid', 'invalid', 'a']);
    // what a union with null last would do to a body if it were coerced: neither '' nor 0
    expect(await received(Type.Union([Type.String(), Type.Null()]), [null])).toEqual([null]);
  });

  it('a query string is text: its numbers are read as numbers', async () => {
    const app = Fastify({
      ajv: { customOptions: VALIDATOR_OPTIONS },
      schemaController: { compilersFactory: { buildValidator: buildValidator as never } },
    });
    app.get(
      '/q',
      { schema: { querystring: Type.Object({ n: Type.Integer(), b: Type.Boolean() }) } },
      async (req) => req.query,
    );
    const res = await app.inject({ method: 'GET', url: '/q?n=7&b=true' });
    expect(res.json()).toEqual({ n: 7, b: true });
    expect((await app.inject({ method: 'GET', url: '/q?n=x&b=true' })).statusCode).toBe(400);
    await app.close();
  });

  it('a scalar keeps its type: 0, false, null and the empty string are not one another', async () => {
    const values = [0, false, null, '', 'x', 1.5];
    expect(await received(Scalar, values)).toEqual(values);
  });

  describe('through the API', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    });
    afterAll(async () => {
      await t.close();
    });

    it('a collection step set to null is switched off, not due on day 0', async () => {
      const sup = await t.login('supervisor');
      const put = await t.call('PUT', '/api/v1/billing/collection/rules/STANDARD', sup, {
        reminderDay: null,
        limitationDay: 0,
        suspensionDay: 20,
        terminationDay: null,
      });
      expect(put.statusCode, put.body).toBe(200);
      const rules = (await t.call('GET', '/api/v1/billing/collection/rules', sup)).json() as {
        items: {
          category: string;
          reminderDay: number | null;
          limitationDay: number | null;
          terminationDay: number | null;
        }[];
      };
      expect(rules.items.find((r) => r.category === 'STANDARD')).toMatchObject({
        reminderDay: null,
        limitationDay: 0,
        terminationDay: null,
      });
    });

    it("a switch element's login set to null is cleared, not stored as an empty string", async () => {
      const admin = await t.login('admin');
      const body = {
        kind: 'mml_switch',
        name: 'S',
        host: '127.0.0.1',
        port: 2775,
        username: null,
        password: null,
      };
      expect((await t.call('PUT', '/api/v1/activation/elements/SWNULL', admin, body)).statusCode).toBe(200);
      const row = await t.tdb.db
        .selectFrom('act_element')
        .select(['username', 'password', 'password_sealed'])
        .where('code', '=', 'SWNULL')
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ username: null, password: null, password_sealed: null });
    });
  });
});
