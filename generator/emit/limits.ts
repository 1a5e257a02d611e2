// Step Functions limits a generated machine must fit: 1 MiB of definition and 25,000 history
// events per execution (Standard workflows). The worst case is computed, not simulated: each step's
// path through the compiled machine is written down as the states it visits (a poll loop as a
// repeated run of states), checked edge by edge against the machine, and priced per state the way
// Step Functions writes history (see local/executor/history.ts, whose counts the tests
// compare with these on the local stack).
import type { Branch, State, StateMachine } from '../compile/asl.ts';
import {
  stateOf,
  type ParallelStepPlan,
  type StateRole,
  type PipelinePlan,
  type StatementStepPlan,
  type StepPlan,
} from '../compile/plan.ts';
import { LONG_POLL_PAIRS, longPollPlan, pollSequence } from '../compile/schedule.ts';
import type { StatementStep } from '../load/model.ts';
import { successors } from './json.ts';
import { STATE_LIMIT_BYTES, stepStateSizes, type StepStateSize } from './state-size.ts';

export const LIMITS = {
  /** Step Functions' largest state machine definition. */
  definitionBytes: 1_048_576,
  /** Step Functions' history limit of one Standard execution. */
  historyEvents: 25_000,
  /** A state's input or output, or a Task's answer (see state-size.ts). */
  stateBytes: STATE_LIMIT_BYTES,
} as const;

/** At this share of a limit `generate` warns; at 100 % it refuses unless --allow-over-budget. */
export const WARN_RATIO = 0.8;

export type Cost = { readonly transitions: number; readonly events: number };

/** How a statement step ends in a scenario. `polls`: DescribeStatement calls (poll mode). */
export type StatementOutcome =
  | { readonly kind: 'finished'; readonly polls: number; readonly hasResult?: boolean }
  | { readonly kind: 'failed'; readonly polls: number }
  | { readonly kind: 'timeout' };

/** How a singleton lock is taken (poll mode): free, or over a stale holder judged the long way. */
export type LockPath = 'free' | 'takeover';

export type StepScenario = { readonly outcome: StatementOutcome; readonly lock?: LockPath };

/**
 * One state visit. `fails`: a Task whose error no Catch takes (no TaskStateExited), or a Parallel
 * whose branch failed (ParallelStateFailed, no exit).
 */
type Visit = { readonly name: string; readonly fails?: boolean };
/** States visited in order, `times` times over (the iterations of a poll loop). */
type Segment = { readonly visits: readonly Visit[]; readonly times: number };
/** A path through one scope (the machine or a branch), plus the branches its Parallel states run. */
type Path = { readonly segments: readonly Segment[]; readonly nested: readonly Path[]; readonly ends: 'end' | 'fail' };

/** The compiled machine disagrees with this model of it: a bug, never a user error. */
export class CostModelError extends Error {
  override readonly name = 'CostModelError';
}

const once = (...names: string[]): Segment => ({ visits: names.map((name) => ({ name })), times: 1 });

// ---------------------------------------------------------------------------------------------
// Paths of one statement step

/** The Pass state between two polls ('Backoff' or 'LastWait'), as the machine's Status Choice picks it. */
export function pollTransitions(step: Pick<StatementStep, 'poll' | 'timeoutSeconds'>): ('Backoff' | 'LastWait')[] {
  return [...pollSequence(step.poll, step.timeoutSeconds)].flatMap(({ setBy }) => (setBy === 'Execute' ? [] : [setBy]));
}

/** DescribeStatement calls of a poll-mode statement that runs until its budget is spent. */
export function maxPolls(step: Pick<StatementStep, 'poll' | 'timeoutSeconds' | 'singleton'>): number {
  const { longPollSeconds } = step.poll;
  if (longPollSeconds !== undefined) return longPollPlan(longPollSeconds, step.timeoutSeconds, !step.singleton).polls;
  return pollTransitions(step).length + 1;
}

/** The long-poll loop: each Describe/Status pair of a round, then NextPolls, over again. */
function longPollSegments(plan: StatementStepPlan, polls: number): Segment[] {
  const name = (role: StateRole) => stateOf(plan, role);
  const pairs = LONG_POLL_PAIRS.map(([describe, status]) => [name(describe), name(status)]);
  const rounds = Math.floor((polls - 1) / pairs.length);
  const round = [...pairs.flat(), name('NextPolls')];
  const rest = pairs.slice(0, polls - rounds * pairs.length).flat();
  return [...(rounds > 0 ? [{ visits: round.map((state) => ({ name: state })), times: rounds }] : []), once(...rest)];
}

function pollSegments(plan: StatementStepPlan, polls: number): Segment[] {
  const { step } = plan;
  const name = (role: StateRole) => stateOf(plan, role);
  if (step.poll.longPollSeconds !== undefined) {
    if (!Number.isInteger(polls) || polls < 1 || polls > maxPolls(step)) {
      throw new RangeError(`step '${step.id}': ${polls} polls is not possible; between 1 and ${maxPolls(step)}`);
    }
    return longPollSegments(plan, polls);
  }
  const between = pollTransitions(step);
  if (!Number.isInteger(polls) || polls < 1 || polls > between.length + 1) {
    throw new RangeError(`step '${step.id}': ${polls} polls is not possible; between 1 and ${between.length + 1}`);
  }
  const segments: Segment[] = [];
  for (const part of between.slice(0, polls - 1)) {
    const last = segments.at(-1);
    const passName = name(part);
    if (last && last.visits.at(-1)?.name === passName)
      segments[segments.length - 1] = { visits: last.visits, times: last.times + 1 };
    else
      segments.push({
        visits: [name('Wait'), name('Describe'), name('Status'), passName].map((state) => ({ name: state })),
        times: 1,
      });
  }
  segments.push(once(name('Wait'), name('Describe'), name('Status')));
  return segments;
}

function statementPath(plan: StatementStepPlan, scenario: StepScenario): Segment[] {
  const { step } = plan;
  const name = (role: StateRole) => stateOf(plan, role);
  const { outcome } = scenario;
  // A result is checked against the step's limits (poll mode: a Choice) before it is fetched.
  const fetch = (): string[] =>
    outcome.kind === 'finished' && outcome.hasResult === false
      ? [name('NoResult')]
      : [
          ...(['LastResult', 'ResultSize'] as const).filter((role) => plan.states[role] !== undefined).map(name),
          name('FetchResult'),
        ];
  if (step.mode === 'callback') {
    // The runtime settles a timed-out statement: still running → cancelled, Redshift.StatementTimeout.
    if (outcome.kind === 'timeout') return [once(name('Execute'), name('Cancel'), name('Settled'), name('TimedOut'))];
    if (outcome.kind === 'failed') return [{ visits: [{ name: name('Execute'), fails: true }], times: 1 }];
    if (!step.results) return [once(name('Execute'))];
    const results = step.statement.kind === 'batch' ? [name('FetchResult')] : [name('HasResult'), ...fetch()];
    return [once(name('Execute'), ...results, name('Record'))];
  }
  const locked = plan.lock?.takenBy === 'machine';
  const lock = locked
    ? scenario.lock === 'takeover'
      ? [
          name('Lock'),
          name('Acquire'),
          name('Holder'),
          name('HolderState'),
          name('HolderStatement'),
          name('HolderExpiry'),
          name('HolderExecution'),
          name('HolderAlive'),
          name('TakeOver'),
        ]
      : [name('Lock'), name('Acquire')]
    : [];
  const submit = once(...lock, name('Execute'), ...(locked ? [name('Register')] : []));
  const raise = (role: StateRole) =>
    locked ? [name(role), name('ReleaseOnError'), name('RaiseCause'), name('Raise')] : [name(role)];
  if (outcome.kind === 'timeout')
    return [submit, ...pollSegments(plan, maxPolls(step)), once(name('Cancel'), ...raise('TimedOut'))];
  const polls = pollSegments(plan, outcome.polls);
  if (outcome.kind === 'failed') return [submit, ...polls, once(name('FailedText'), ...raise('Failed'))];
  const results = step.results ? [name('HasResult'), ...fetch()] : [];
  return [submit, ...polls, once(...(locked ? [name('Release')] : []), ...results, name('Record'))];
}

// ---------------------------------------------------------------------------------------------
// Pricing, the way Step Functions writes history

function indexStates(branch: Branch, into = new Map<string, State>()): Map<string, State> {
  for (const [name, state] of Object.entries(branch.States)) {
    into.set(name, state);
    if (state.Type === 'Parallel') for (const inner of state.Branches) indexStates(inner, into);
  }
  return into;
}

/** `.waitForTaskToken` and `.sync` Tasks add TaskSubmitted. */
function isSubmitted(resource: string): boolean {
  return /\.(waitForTaskToken|sync(:2)?)$/.test(resource);
}

/** History events of one visit. A Parallel's branches are priced on their own. */
function visitEvents(state: State, visit: Visit): number {
  switch (state.Type) {
    case 'Task':
      // Entered, Scheduled, Started, (Submitted), Succeeded | Failed | TimedOut, Exited (also after a Catch).
      return 5 + (isSubmitted(state.Resource) ? 1 : 0) - (visit.fails ? 1 : 0);
    case 'Parallel':
      // Entered, Started, Succeeded + Exited | Failed.
      return visit.fails ? 3 : 4;
    case 'Fail':
      return 1;
    default:
      return 2;
  }
}

function price(path: Path, states: Map<string, State>): Cost {
  let transitions = 0;
  let events = 0;
  for (const segment of path.segments) {
    for (const visit of segment.visits) {
      const state = states.get(visit.name);
      if (!state) throw new CostModelError(`state '${visit.name}' is not in the machine`);
      transitions += segment.times;
      events += segment.times * visitEvents(state, visit);
    }
  }
  for (const inner of path.nested) {
    const cost = price(inner, states);
    transitions += cost.transitions;
    events += cost.events;
  }
  return { transitions, events };
}

/** Every state of the segments follows from the one before it in the machine, and they end as `ends` says. */
function checkSegments(segments: readonly Segment[], ends: Path['ends'], states: Map<string, State>): void {
  const flat: string[] = [];
  for (const segment of segments) {
    const names = segment.visits.map((visit) => visit.name);
    if (segment.times > 1) checkEdge(names.at(-1) as string, names[0] as string, states);
    flat.push(...names);
  }
  for (let index = 1; index < flat.length; index += 1)
    checkEdge(flat[index - 1] as string, flat[index] as string, states);
  const lastVisit = segments.at(-1)?.visits.at(-1);
  const last = lastVisit ? states.get(lastVisit.name) : undefined;
  const ok =
    ends === 'fail'
      ? last?.Type === 'Fail' || lastVisit?.fails === true
      : last !== undefined && 'End' in last && last.End === true;
  if (!ok)
    throw new CostModelError(
      `path ends at '${lastVisit?.name}', which does not ${ends === 'fail' ? 'fail' : 'end'} its scope`,
    );
}

/** A whole scope's path: it starts where the scope starts, and every transition exists. */
function checkPath(path: Path, startAt: string, states: Map<string, State>): void {
  const first = path.segments[0]?.visits[0]?.name;
  if (first !== startAt) throw new CostModelError(`path starts at '${first}', the scope at '${startAt}'`);
  checkSegments(path.segments, path.ends, states);
}

function checkEdge(from: string, to: string, states: Map<string, State>): void {
  const state = states.get(from);
  if (!state) throw new CostModelError(`state '${from}' is not in the machine`);
  if (!successors(state).includes(to)) throw new CostModelError(`no transition from '${from}' to '${to}'`);
}

// ---------------------------------------------------------------------------------------------
// Paths of whole scopes

type Scenarios = (step: StatementStep) => StepScenario;

/** States the compiler puts after a Parallel for its step: the merge of the branch outputs. */
function parallelTail(plan: ParallelStepPlan): string[] {
  return plan.states.Merge !== undefined ? [plan.states.Merge] : [];
}

/** The path of a list of steps under `scenarios`; stops at the first failing statement. */
function scopePath(steps: readonly StepPlan[], scenarios: Scenarios, states: Map<string, State>): Path {
  const segments: Segment[] = [];
  const nested: Path[] = [];
  for (const plan of steps) {
    if (plan.kind === 'parallel') {
      const parallelName = stateOf(plan, 'Parallel');
      const parallel = states.get(parallelName);
      if (parallel?.Type !== 'Parallel') throw new CostModelError(`'${parallelName}' is not a Parallel state`);
      const branches = plan.branches.map((branch, index) => {
        const path = scopePath(branch, scenarios, states);
        checkPath(path, (parallel.Branches[index] as Branch).StartAt, states);
        return path;
      });
      nested.push(...branches);
      const fails = branches.some((branch) => branch.ends === 'fail');
      segments.push({ visits: [{ name: parallelName, ...(fails ? { fails } : {}) }], times: 1 });
      if (fails) return { segments, nested, ends: 'fail' };
      const tail = parallelTail(plan);
      if (tail.length > 0) segments.push(once(...tail));
      continue;
    }
    const scenario = scenarios(plan.step);
    segments.push(...statementPath(plan, scenario));
    if (scenario.outcome.kind !== 'finished') return { segments, nested, ends: 'fail' };
  }
  return { segments, nested, ends: 'end' };
}

/** ExecutionStarted and ExecutionSucceeded | ExecutionFailed. */
const EXECUTION_EVENTS = 2;

/**
 * History events and state transitions of one execution in which each statement step meets its
 * scenario (retries of transient errors not counted: each adds a transition and 3 events). The
 * path is checked against the machine, so a compiler change this model does not know fails loudly.
 */
export function executionCost(plan: Pick<PipelinePlan, 'machine' | 'steps'>, scenarios: Scenarios): Cost {
  const { machine } = plan;
  const states = indexStates(machine);
  const path = scopePath(plan.steps, scenarios, states);
  checkPath(path, machine.StartAt, states);
  const cost = price(path, states);
  return { transitions: cost.transitions, events: cost.events + EXECUTION_EVENTS };
}

// ---------------------------------------------------------------------------------------------
// The worst case

type Worst = { readonly success: Cost; readonly failure?: Cost };

const add = (a: Cost, b: Cost): Cost => ({ transitions: a.transitions + b.transitions, events: a.events + b.events });
const ZERO: Cost = { transitions: 0, events: 0 };
const more = (a: Cost | undefined, b: Cost | undefined): Cost | undefined =>
  a === undefined
    ? b
    : b === undefined
      ? a
      : b.events > a.events || (b.events === a.events && b.transitions > a.transitions)
        ? b
        : a;

/** Most expensive way through one statement step that goes on, and one that fails. */
function worstStatement(plan: StatementStepPlan, states: Map<string, State>): Worst {
  const { step } = plan;
  const lock: LockPath = 'takeover';
  const cost = (outcome: StatementOutcome): Cost => {
    const segments = statementPath(plan, { outcome, lock });
    if (outcome.kind !== 'finished') checkSegments(segments, 'fail', states);
    return price({ segments, nested: [], ends: outcome.kind === 'finished' ? 'end' : 'fail' }, states);
  };
  const polls = step.mode === 'callback' ? 1 : maxPolls(step);
  const failure = more(cost({ kind: 'timeout' }), cost({ kind: 'failed', polls }));
  return { success: cost({ kind: 'finished', polls }), ...(failure !== undefined ? { failure } : {}) };
}

/**
 * A list of steps: all succeed, each as expensively as it can; or the first k−1 do and step k fails
 * as expensively as it can (which ends the execution).
 */
function worstScope(steps: readonly StepPlan[], states: Map<string, State>): Worst {
  let success = ZERO;
  let failure: Cost | undefined;
  for (const plan of steps) {
    const worst = plan.kind === 'parallel' ? worstParallel(plan, states) : worstStatement(plan, states);
    if (worst.failure) failure = more(failure, add(success, worst.failure));
    success = add(success, worst.success);
  }
  return failure === undefined ? { success } : { success, failure };
}

/**
 * A Parallel: every branch at its most expensive success; or at least one branch failing, each
 * branch at its most expensive end (an upper bound: Step Functions stops the other branches).
 */
function worstParallel(plan: ParallelStepPlan, states: Map<string, State>): Worst {
  const worst = plan.branches.map((branch) => worstScope(branch, states));
  const allSucceed = worst.reduce((sum, branch) => add(sum, branch.success), ZERO);
  const tail = parallelTail(plan);
  const tailCost = tail.length > 0 ? price({ segments: [once(...tail)], nested: [], ends: 'end' }, states) : ZERO;
  const success = add(add(allSucceed, { transitions: 1, events: 4 }), tailCost);
  const failing = worst.filter((branch): branch is Required<Worst> => branch.failure !== undefined);
  if (failing.length === 0) return { success };
  // Each branch ends whichever way costs more; if every branch costs more succeeding, the one that
  // loses least by failing fails.
  let failure = worst.reduce((sum, branch) => add(sum, more(branch.success, branch.failure) as Cost), ZERO);
  if (
    !worst.some((branch) => branch.failure !== undefined && more(branch.success, branch.failure) === branch.failure)
  ) {
    const loss = failing.map((branch) => ({
      transitions: branch.success.transitions - branch.failure.transitions,
      events: branch.success.events - branch.failure.events,
    }));
    const least = loss.reduce((a, b) =>
      b.events < a.events || (b.events === a.events && b.transitions < a.transitions) ? b : a,
    );
    failure = add(failure, { transitions: -least.transitions, events: -least.events });
  }
  return { success, failure: add(failure, { transitions: 1, events: 3 }) };
}

/** How much of Step Functions' limits one pipeline's machine uses. */
export type LimitUsage = {
  readonly states: number;
  readonly definitionBytes: number;
  /** The most expensive single execution (retries aside). */
  readonly worstCase: Cost & { readonly ends: 'succeeds' | 'fails' };
  /** Per statement step: the worst-case state (execution input aside) and largest Task answer. */
  readonly stateSizes: readonly StepStateSize[];
};

/**
 * Worst case of one execution: every statement runs for its whole budget (poll mode: it finishes
 * at the last poll before its timeout, or times out there; stale singleton locks are taken over the
 * long way; results are fetched), whichever path through the pipeline costs the most events.
 */
export function worstCaseCost(plan: Pick<PipelinePlan, 'machine' | 'steps'>): LimitUsage['worstCase'] {
  const states = indexStates(plan.machine);
  // The model is checked against the machine along the success path that is priced.
  executionCost(plan, (step) => ({
    outcome: { kind: 'finished', polls: step.mode === 'callback' ? 1 : maxPolls(step) },
    lock: 'takeover',
  }));
  const { success, failure } = worstScope(plan.steps, states);
  const worst = more(success, failure) as Cost;
  return {
    transitions: worst.transitions,
    events: worst.events + EXECUTION_EVENTS,
    ends: worst === success ? 'succeeds' : 'fails',
  };
}

export function countStates(machine: { States: StateMachine['States'] }): number {
  let count = 0;
  for (const state of Object.values(machine.States)) {
    count += 1;
    if (state.Type === 'Parallel') count += state.Branches.reduce((sum, branch) => sum + countStates(branch), 0);
  }
  return count;
}

/** `definition`: the definition as written (its bytes count against the limit). */
export function limitUsage(plan: Pick<PipelinePlan, 'machine' | 'steps'>, definition: string): LimitUsage {
  return {
    states: countStates(plan.machine),
    definitionBytes: Buffer.byteLength(definition, 'utf8'),
    worstCase: worstCaseCost(plan),
    stateSizes: stepStateSizes(plan),
  };
}

// ---------------------------------------------------------------------------------------------
// Judging

export type LimitLevel = 'ok' | 'warn' | 'over';

export function limitLevel(used: number, limit: number): LimitLevel {
  if (used >= limit) return 'over';
  return used >= limit * WARN_RATIO ? 'warn' : 'ok';
}
