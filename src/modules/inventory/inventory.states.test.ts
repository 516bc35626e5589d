import { describe, expect, it } from 'vitest';
import {
  canChangeResourceStatus,
  norm,
  releasesCapacity,
  simTransition,
  tmfStates,
  zoneKey,
} from './inventory.states.js';
import { luhnOk, withLuhn } from './sim.service.js';
import { SecretBox } from './crypto.js';
import { randomBytes } from 'node:crypto';

describe('resource states', () => {
  it('derives TMF administrative / operational / usage states', () => {
    expect(tmfStates('free')).toMatchObject({
      administrativeState: 'unlocked',
      operationalState: 'enable',
      usageState: 'idle',
    });
    expect(tmfStates('in_service').usageState).toBe('busy');
    expect(tmfStates('reserved').resourceStatus).toBe('reserved');
    expect(tmfStates('faulty').operationalState).toBe('disable');
    expect(tmfStates('out_of_order').administrativeState).toBe('locked');
  });

  it('lets agents report faults and repairs but never reserve or put in service by hand', () => {
    expect(canChangeResourceStatus('free', 'faulty', false)).toBe(true);
    expect(canChangeResourceStatus('faulty', 'free', false)).toBe(true);
    expect(canChangeResourceStatus('free', 'reserved', false)).toBe(false);
    expect(canChangeResourceStatus('free', 'in_service', false)).toBe(false);
    expect(canChangeResourceStatus('reserved', 'free', false)).toBe(false);
    expect(canChangeResourceStatus('in_service', 'faulty', true)).toBe(true);
    expect(canChangeResourceStatus('faulty', 'in_service', true)).toBe(true);
    expect(canChangeResourceStatus('faulty', 'free', true)).toBe(false);
    expect(releasesCapacity('faulty', 'free')).toBe(true);
    expect(releasesCapacity('free', 'faulty')).toBe(false);
  });

  it('follows the SIM life cycle', () => {
    expect(simTransition('in_stock', 'allocate')).toBe('allocated');
    expect(simTransition('active', 'suspend')).toBe('suspended');
    expect(simTransition('suspended', 'restore')).toBe('active');
    expect(simTransition('active', 'destroy')).toBeNull();
    expect(simTransition('replaced', 'destroy')).toBe('destroyed');
    expect(simTransition('destroyed', 'allocate')).toBeNull();
    expect(simTransition('active', 'declare_lost')).toBe('lost_stolen');
  });

  it('normalises zones like the database does', () => {
    expect(norm('  Médina ')).toBe('medina');
    expect(zoneKey('Dakar', 'Grand-Yoff')).toBe('dakar/grand yoff');
    expect(zoneKey('Thiès', null)).toBe('thies/');
  });

  it('checks ICCID Luhn digits', () => {
    const iccid = withLuhn('892210000000000001');
    expect(luhnOk(iccid)).toBe(true);
    const wrong = iccid.slice(0, -1) + String((Number(iccid.slice(-1)) + 1) % 10);
    expect(luhnOk(wrong)).toBe(false);
  });

  it('seals SIM secrets so that only the same key and ICCID open them', () => {
    const key = randomBytes(32);
    const box = new SecretBox(key);
    const s = { ki: 'A'.repeat(32), opc: null, pin1: '0000', puk1: '12345678', pin2: null, puk2: null };
    const blob = box.seal(s, '8922');
    expect(blob.toString('latin1')).not.toContain('12345678');
    expect(box.open(blob, '8922')).toEqual(s);
    expect(() => box.open(blob, '8923')).toThrow(/cannot be opened/);
    expect(() => new SecretBox(randomBytes(32)).open(blob, '8922')).toThrow(/cannot be opened/);
  });
});
