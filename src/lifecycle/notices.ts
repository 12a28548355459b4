// What the three metadata items that announce an instance's end say, read strictly: a body that
// is not what AWS documents is ignored (and logged by the watcher), never guessed at.
//   /latest/meta-data/spot/instance-action                   {"action":"terminate","time":"2026-12-04T17:02:00Z"}
//   /latest/meta-data/events/recommendations/rebalance       {"noticeTime":"2026-12-04T16:58:00Z"}
//   /latest/meta-data/autoscaling/target-lifecycle-state     InService | Terminated | Warmed:Stopped | ...

export const SPOT_ACTION_PATH = '/latest/meta-data/spot/instance-action';
export const REBALANCE_PATH = '/latest/meta-data/events/recommendations/rebalance';
export const LIFECYCLE_STATE_PATH = '/latest/meta-data/autoscaling/target-lifecycle-state';

/** Label values of cosyfleet_instance_notices_total. */
export type NoticeKind = 'spot_interruption' | 'rebalance' | 'scale_in';

export type InstanceNotice =
  /** The instance will be stopped, hibernated or terminated at `time` (about two minutes' notice). */
  | { readonly kind: 'spot_interruption'; readonly action: 'terminate' | 'stop' | 'hibernate'; readonly time: number }
  /** EC2 says this spot instance is at elevated risk of interruption (no deadline). */
  | { readonly kind: 'rebalance'; readonly noticeTime: number }
  /** The Auto Scaling group is taking the instance out of service (no deadline of its own). */
  | { readonly kind: 'scale_in'; readonly state: string };

const ACTIONS = new Set(['terminate', 'stop', 'hibernate']);
// ISO 8601 in UTC as IMDS writes it; Date.parse alone accepts far too much.
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function parseObject(body: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function parseTime(value: unknown): number | null {
  return typeof value === 'string' && ISO_UTC.test(value) ? Date.parse(value) : null;
}

/** A 200 body of spot/instance-action, or null when it is malformed. */
export function parseSpotAction(body: string): Extract<InstanceNotice, { kind: 'spot_interruption' }> | null {
  const o = parseObject(body);
  const time = parseTime(o?.time);
  const action = o?.action;
  if (time === null || typeof action !== 'string' || !ACTIONS.has(action)) return null;
  return { kind: 'spot_interruption', action: action as 'terminate' | 'stop' | 'hibernate', time };
}

/** A 200 body of events/recommendations/rebalance, or null when it is malformed. */
export function parseRebalance(body: string): Extract<InstanceNotice, { kind: 'rebalance' }> | null {
  const noticeTime = parseTime(parseObject(body)?.noticeTime);
  return noticeTime === null ? null : { kind: 'rebalance', noticeTime };
}

const LIFECYCLE_STATE = /^(InService|Terminated|Warmed:(Running|Stopped|Hibernated|Terminated))$/;

/** A 200 body of autoscaling/target-lifecycle-state, or null when it is not a known state. */
export function parseLifecycleState(body: string): string | null {
  const state = body.trim();
  return LIFECYCLE_STATE.test(state) ? state : null;
}

/**
 * Whether a target lifecycle state takes this node out of service: Terminated (scale-in, the
 * termination lifecycle hook waiting for us), or a warm-pool state once the node has served
 * (scale-in back into a warm pool stops or hibernates it). A Warmed:* state before InService is
 * the node being prepared for the pool, not leaving service.
 */
export function leavesService(state: string, wasInService: boolean): boolean {
  if (state === 'Terminated' || state === 'Warmed:Terminated') return true;
  return wasInService && state.startsWith('Warmed:');
}
