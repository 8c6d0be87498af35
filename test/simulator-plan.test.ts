// The simulator's plan (simulator/plan.ts) is drawn whole from its seed: the same seed gives the
// same plan and hash, another seed another plan, and nothing in it depends on the clock.
import { expect, it } from 'vitest';
import { describePlan, drawPlan, FAULT_KINDS, parseFaults, planHash } from '../simulator/plan.js';

const options = { seed: 7, orders: 12, faults: FAULT_KINDS, minutes: 3 };

it('draws the same plan, and the same hash, from the same seed', () => {
  const first = drawPlan(options);
  const second = drawPlan(options);
  expect(second).toEqual(first);
  expect(describePlan(second)).toEqual(describePlan(first));
  expect(describePlan(first).at(-1)).toBe(`plan=${planHash(first)}`);
  expect(planHash(first)).toMatch(/^[0-9a-f]{12}$/);
});

it('draws another plan from another seed', () => {
  expect(planHash(drawPlan({ ...options, seed: 8 }))).not.toBe(planHash(drawPlan(options)));
});

it('plans every order, a person behind each, rep actions in between and each fault asked for', () => {
  const plan = drawPlan(options);
  expect(plan.orders.map((o) => o.orderId)).toEqual(Array.from({ length: 12 }, (_, i) => `SIM-7-${i}`));
  expect(new Set(plan.faults.map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
  expect(plan.repActions.length).toBeGreaterThan(0);
  for (const fault of plan.faults) expect(fault.at).toBeLessThanOrEqual(plan.seconds);
  expect(drawPlan({ ...options, faults: [] }).faults).toEqual([]);
});

it('reads --faults as none, all or a list, and names an unknown kind', () => {
  expect(parseFaults('none')).toEqual([]);
  expect(parseFaults('all')).toEqual([...FAULT_KINDS]);
  expect(parseFaults('worker-kill,resend-429')).toEqual(['worker-kill', 'resend-429']);
  expect(() => parseFaults('worker-kill,webex-5xx')).toThrow(/webex-5xx/);
});
