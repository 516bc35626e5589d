import { describe, expect, it } from 'vitest';
import { DomainError } from '../../platform/errors.js';
import type { TmfApiDef } from './framework.js';
import {
  eventTypesOf,
  hubAccepts,
  lowerFirst,
  parseHubQuery,
  redactCallback,
  validateCallback,
} from './hub.js';

const api: TmfApiDef = {
  name: 'customerManagement',
  title: 'TMF629',
  resources: [
    {
      path: 'customer',
      type: 'Customer',
      read: 'customer:read',
      list: () => Promise.resolve({ items: [], total: 0 }),
      get: () => Promise.resolve(undefined),
    },
  ],
};

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof DomainError ? err.field : 'not a DomainError';
  }
  return undefined;
}

const note = (eventType: string, status: string) => ({
  eventType,
  event: { customer: { id: 'C1', status, characteristic: [{ name: 'category.tax', value: 'TVA18' }] } },
});

describe('hub query', () => {
  it('keeps the event types asked for, in any of its spellings', () => {
    for (const q of [
      'eventType=CustomerCreateEvent,CustomerStateChangeEvent',
      '?eventType=CustomerCreateEvent&eventType=CustomerStateChangeEvent',
      'eventType = CustomerCreateEvent, CustomerStateChangeEvent',
    ]) {
      const f = parseHubQuery(q, api);
      expect([...(f.eventTypes ?? [])].sort(), q).toEqual([
        'CustomerCreateEvent',
        'CustomerStateChangeEvent',
      ]);
      expect(hubAccepts(f, 'CustomerCreateEvent', note('CustomerCreateEvent', 'active'))).toBe(true);
      expect(hubAccepts(f, 'CustomerAttributeValueChangeEvent', note('x', 'active'))).toBe(false);
    }
    expect(parseHubQuery(undefined, api)).toEqual({ eventTypes: null, attributes: [] });
    expect(parseHubQuery('  ', api)).toEqual({ eventTypes: null, attributes: [] });
  });

  it('filters exactly on the notification, arrays fanning out', () => {
    const f = parseHubQuery(
      'event.customer.status=active,inactive&event.customer.characteristic.value=TVA18',
      api,
    );
    expect(hubAccepts(f, 'CustomerCreateEvent', note('CustomerCreateEvent', 'active'))).toBe(true);
    expect(hubAccepts(f, 'CustomerCreateEvent', note('CustomerCreateEvent', 'closed'))).toBe(false);
    const g = parseHubQuery('event.customer.characteristic.value=EXEMPT', api);
    expect(hubAccepts(g, 'CustomerCreateEvent', note('CustomerCreateEvent', 'active'))).toBe(false);
  });

  it('refuses what it cannot honour, naming query', () => {
    for (const q of ['eventType=OrderCreateEvent', 'eventType=', 'status=active', 'junk', 'eventType=%zz']) {
      expect(
        fieldOf(() => parseHubQuery(q, api)),
        q,
      ).toBe('query');
    }
  });

  it("knows each resource's event types and their listener names", () => {
    expect([...eventTypesOf(api)]).toContain('CustomerAttributeValueChangeEvent');
    expect(lowerFirst('CustomerStateChangeEvent')).toBe('customerStateChangeEvent');
  });
});

describe('hub callback', () => {
  it('takes http(s) URLs as given and refuses the others, naming callback', () => {
    expect(validateCallback(' https://crm.example.sn/tmf?token=abc ')).toBe(
      'https://crm.example.sn/tmf?token=abc',
    );
    expect(validateCallback('http://10.0.0.5:8080')).toBe('http://10.0.0.5:8080');
    for (const bad of [
      undefined,
      '',
      3,
      'crm.example.sn',
      'file:///etc/passwd',
      'https://u:p@crm.example.sn',
      'https://crm.example.sn/#x',
    ]) {
      expect(
        fieldOf(() => validateCallback(bad)),
        String(bad),
      ).toBe('callback');
    }
  });

  it('journals the callback without its query (where listeners keep their tokens)', () => {
    expect(redactCallback('https://crm.example.sn/tmf/?token=secret')).toBe('https://crm.example.sn/tmf/');
  });
});
