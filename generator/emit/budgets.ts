// Step Functions limits a generated machine must fit: 1 MiB of definition and 25,000 history
// events per execution (Standard workflows). The worst case is computed, not simulated: each step's
// path through the compiled machine is written down as the states it visits (a poll loop as a
// repeated run of states), checked edge by edge against the machine, and priced per state the way
// Step Functions writes history (see local/executor/history.ts, whose counts the tests
// compare with these on the local stack).
import type { Branch, State, StateMachine } from '../compile/asl.ts';
import { LONG_POLL_ROUND, longPollPlan, pollSequence } from '../compile/schedule.ts';
import { stateName } from '../compile/registry.ts';
import type { Pipeline, StatementStep, Step } from '../load/model.ts';
import { successors } from './json.ts';

export const LIMITS = {
  /** Step Functions' largest state machine definition. */
  definitionBytes: 1_048_576,
  /** Step Functions' history limit of one Standard execution. */
  historyEvents: 25_000,
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
export class BudgetModelError extends Error {
  override readonly name = 'BudgetModelError';
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

/** The long-poll loop: Describe(n) → Status(n) for n = 1…round, then NextPolls, over again. */
function longPollSegments(step: StatementStep, polls: number): Segment[] {
  const name = (part: string) => stateName(step.id, part);
  const pair = (poll: number) => (poll === 1 ? [name('Describe'), name('Status')] : [name(`Describe${poll}`), name(`Status${poll}`)]);
  const round = Array.from({ length: LONG_POLL_ROUND }, (_, index) => pair(index + 1)).flat();
  const rounds = Math.floor((polls - 1) / LONG_POLL_ROUND);
  const rest = Array.from({ length: polls - rounds * LONG_POLL_ROUND }, (_, index) => pair(index + 1)).flat();
  return [...(rounds > 0 ? [{ visits: [...round, name('NextPolls')].map((state) => ({ name: state })), times: rounds }] : []), once(...rest)];
}

function pollSegments(step: StatementStep, polls: number): Segment[] {
  const name = (part: string) => stateName(step.id, part);
  if (step.poll.longPollSeconds !== undefined) {
    if (!Number.isInteger(polls) || polls < 1 || polls > maxPolls(step)) {
      throw new RangeError(`step '${step.id}': ${polls} polls is not possible; between 1 and ${maxPolls(step)}`);
    }
    return longPollSegments(step, polls);
  }
  const between = pollTransitions(step);
  if (!Number.isInteger(polls) || polls < 1 || polls > between.length + 1) {
    throw new RangeError(`step '${step.id}': ${polls} polls is not possible; between 1 and ${between.length + 1}`);
  }
  const segments: Segment[] = [];
  for (const part of between.slice(0, polls - 1)) {
    const last = segments.at(-1);
    const passName = name(part);
    if (last && last.visits.at(-1)?.name === passName) segments[segments.length - 1] = { visits: last.visits, times: last.times + 1 };
    else segments.push({ visits: [name('Wait'), name('Describe'), name('Status'), passName].map((state) => ({ name: state })), times: 1 });
  }
  segments.push(once(name('Wait'), name('Describe'), name('Status')));
  return segments;
}

function statementPath(step: StatementStep, scenario: StepScenario): Segment[] {
  const name = (part: string) => stateName(step.id, part);
  const { outcome } = scenario;
  const fetch = outcome.kind === 'finished' && outcome.hasResult === false ? name('NoResult') : name('FetchResult');
  if (step.mode === 'callback') {
    if (outcome.kind === 'timeout') return [once(name('Execute'), name('Cancel'), name('TimedOut'))];
    if (outcome.kind === 'failed') return [{ visits: [{ name: name('Execute'), fails: true }], times: 1 }];
    if (!step.results) return [once(name('Execute'))];
    const results = step.statement.kind === 'batch' ? [name('FetchResult')] : [name('HasResult'), fetch];
    return [once(name('Execute'), ...results, name('Record'))];
  }
  const lock = step.singleton
    ? scenario.lock === 'takeover'
      ? [name('Lock'), name('Acquire'), name('Holder'), name('HolderState'), name('HolderStatement'), name('HolderExecution'), name('HolderAlive'), name('TakeOver')]
      : [name('Lock'), name('Acquire')]
    : [];
  const submit = once(...lock, name('Execute'), ...(step.singleton ? [name('Register')] : []));
  const raise = (part: string) => (step.singleton ? [name(part), name('ReleaseOnError'), name('Raise')] : [name(part)]);
  if (outcome.kind === 'timeout') return [submit, ...pollSegments(step, maxPolls(step)), once(name('Cancel'), ...raise('TimedOut'))];
  const polls = pollSegments(step, outcome.polls);
  if (outcome.kind === 'failed') return [submit, ...polls, once(...raise('Failed'))];
  const results = step.results ? [...(step.statement.kind === 'batch' ? [name('PickResult')] : []), name('HasResult'), fetch] : [];
  return [submit, ...polls, once(...(step.singleton ? [name('Release')] : []), ...results, name('Record'))];
}

// ---------------------------------------------------------------------------------------------
// Pricing, the way Step Functions writes history

type Machine = Pick<StateMachine, 'StartAt' | 'States'>;

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
      if (!state) throw new BudgetModelError(`state '${visit.name}' is not in the machine`);
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
  for (let index = 1; index < flat.length; index += 1) checkEdge(flat[index - 1] as string, flat[index] as string, states);
  const lastVisit = segments.at(-1)?.visits.at(-1);
  const last = lastVisit ? states.get(lastVisit.name) : undefined;
  const ok = ends === 'fail' ? last?.Type === 'Fail' || lastVisit?.fails === true : last !== undefined && 'End' in last && last.End === true;
  if (!ok) throw new BudgetModelError(`path ends at '${lastVisit?.name}', which does not ${ends === 'fail' ? 'fail' : 'end'} its scope`);
}

/** A whole scope's path: it starts where the scope starts, and every transition exists. */
function checkPath(path: Path, startAt: string, states: Map<string, State>): void {
  const first = path.segments[0]?.visits[0]?.name;
  if (first !== startAt) throw new BudgetModelError(`path starts at '${first}', the scope at '${startAt}'`);
  checkSegments(path.segments, path.ends, states);
}

function checkEdge(from: string, to: string, states: Map<string, State>): void {
  const state = states.get(from);
  if (!state) throw new BudgetModelError(`state '${from}' is not in the machine`);
  if (!successors(state).includes(to)) throw new BudgetModelError(`no transition from '${from}' to '${to}'`);
}

// ---------------------------------------------------------------------------------------------
// Paths of whole scopes

type Scenarios = (step: StatementStep) => StepScenario;

/**
 * States the compiler puts after a Parallel for its step (named `<id>.<Part>`, such as a merge of
 * the branch outputs), followed along Next.
 */
function parallelTail(stepId: string, states: Map<string, State>): string[] {
  const tail: string[] = [];
  let state = states.get(stepId);
  while (state && 'Next' in state && typeof state.Next === 'string' && state.Next.startsWith(`${stepId}.`)) {
    tail.push(state.Next);
    state = states.get(state.Next);
  }
  return tail;
}

/** The path of a list of steps under `scenarios`; stops at the first failing statement. */
function scopePath(steps: readonly Step[], scenarios: Scenarios, states: Map<string, State>): Path {
  const segments: Segment[] = [];
  const nested: Path[] = [];
  for (const step of steps) {
    if (step.kind === 'parallel') {
      const parallel = states.get(step.id);
      if (parallel?.Type !== 'Parallel') throw new BudgetModelError(`'${step.id}' is not a Parallel state`);
      const branches = step.branches.map((branch, index) => {
        const path = scopePath(branch, scenarios, states);
        checkPath(path, (parallel.Branches[index] as Branch).StartAt, states);
        return path;
      });
      nested.push(...branches);
      const fails = branches.some((branch) => branch.ends === 'fail');
      segments.push({ visits: [{ name: step.id, ...(fails ? { fails } : {}) }], times: 1 });
      if (fails) return { segments, nested, ends: 'fail' };
      const tail = parallelTail(step.id, states);
      if (tail.length > 0) segments.push(once(...tail));
      continue;
    }
    const scenario = scenarios(step);
    segments.push(...statementPath(step, scenario));
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
export function executionCost(machine: Machine, pipeline: Pick<Pipeline, 'steps'>, scenarios: Scenarios): Cost {
  const states = indexStates(machine);
  const path = scopePath(pipeline.steps, scenarios, states);
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
  a === undefined ? b : b === undefined ? a : b.events > a.events || (b.events === a.events && b.transitions > a.transitions) ? b : a;

/** Most expensive way through one statement step that goes on, and one that fails. */
function worstStatement(step: StatementStep, states: Map<string, State>): Worst {
  const lock: LockPath = 'takeover';
  const cost = (outcome: StatementOutcome): Cost => {
    const segments = statementPath(step, { outcome, lock });
    if (outcome.kind !== 'finished') checkSegments(segments, 'fail', states);
    return price({ segments, nested: [], ends: outcome.kind === 'finished' ? 'end' : 'fail' }, states);
  };
  const polls = step.mode === 'callback' ? 1 : maxPolls(step);
  return { success: cost({ kind: 'finished', polls }), failure: more(cost({ kind: 'timeout' }), cost({ kind: 'failed', polls })) };
}

/**
 * A list of steps: all succeed, each as expensively as it can; or the first k−1 do and step k fails
 * as expensively as it can (which ends the execution).
 */
function worstScope(steps: readonly Step[], states: Map<string, State>): Worst {
  let success = ZERO;
  let failure: Cost | undefined;
  for (const step of steps) {
    const worst = step.kind === 'parallel' ? worstParallel(step.id, step.branches, states) : worstStatement(step, states);
    if (worst.failure) failure = more(failure, add(success, worst.failure));
    success = add(success, worst.success);
  }
  return failure === undefined ? { success } : { success, failure };
}

/**
 * A Parallel: every branch at its most expensive success; or at least one branch failing, each
 * branch at its most expensive end (an upper bound: Step Functions stops the other branches).
 */
function worstParallel(stepId: string, branches: readonly (readonly Step[])[], states: Map<string, State>): Worst {
  const worst = branches.map((branch) => worstScope(branch, states));
  const allSucceed = worst.reduce((sum, branch) => add(sum, branch.success), ZERO);
  const tail = parallelTail(stepId, states);
  const tailCost = tail.length > 0 ? price({ segments: [once(...tail)], nested: [], ends: 'end' }, states) : ZERO;
  const success = add(add(allSucceed, { transitions: 1, events: 4 }), tailCost);
  const failing = worst.filter((branch): branch is Required<Worst> => branch.failure !== undefined);
  if (failing.length === 0) return { success };
  // Each branch ends whichever way costs more; if every branch costs more succeeding, the one that
  // loses least by failing fails.
  let failure = worst.reduce((sum, branch) => add(sum, more(branch.success, branch.failure) as Cost), ZERO);
  if (!worst.some((branch) => branch.failure !== undefined && more(branch.success, branch.failure) === branch.failure)) {
    const loss = failing.map((branch) => ({ transitions: branch.success.transitions - branch.failure.transitions, events: branch.success.events - branch.failure.events }));
    const least = loss.reduce((a, b) => (b.events < a.events || (b.events === a.events && b.transitions < a.transitions) ? b : a));
    failure = add(failure, { transitions: -least.transitions, events: -least.events });
  }
  return { success, failure: add(failure, { transitions: 1, events: 3 }) };
}

export type PipelineBudget = {
  readonly states: number;
  readonly definitionBytes: number;
  /** The most expensive single execution (retries aside). */
  readonly worstCase: Cost & { readonly ends: 'succeeds' | 'fails' };
};

/**
 * Worst case of one execution: every statement runs for its whole budget (poll mode: it finishes
 * at the last poll before its timeout, or times out there; stale singleton locks are taken over the
 * long way; results are fetched), whichever path through the pipeline costs the most events.
 */
export function worstCaseCost(machine: Machine, pipeline: Pick<Pipeline, 'steps'>): PipelineBudget['worstCase'] {
  const states = indexStates(machine);
  // The model is checked against the machine along the success path that is priced.
  executionCost(machine, pipeline, (step) => ({ outcome: { kind: 'finished', polls: step.mode === 'callback' ? 1 : maxPolls(step) }, lock: 'takeover' }));
  const { success, failure } = worstScope(pipeline.steps, states);
  const worst = more(success, failure) as Cost;
  return { transitions: worst.transitions, events: worst.events + EXECUTION_EVENTS, ends: worst === success ? 'succeeds' : 'fails' };
}

export function countStates(machine: { States: StateMachine['States'] }): number {
  let count = 0;
  for (const state of Object.values(machine.States)) {
    count += 1;
    if (state.Type === 'Parallel') count += state.Branches.reduce((sum, branch) => sum + countStates(branch), 0);
  }
  return count;
}

export function pipelineBudget(machine: StateMachine, pipeline: Pick<Pipeline, 'steps'>, definition: string): PipelineBudget {
  return { states: countStates(machine), definitionBytes: Buffer.byteLength(definition, 'utf8'), worstCase: worstCaseCost(machine, pipeline) };
}

// ---------------------------------------------------------------------------------------------
// Judging and telling

export type BudgetLevel = 'ok' | 'warn' | 'over';
export type BudgetFinding = { readonly limit: 'definition' | 'history'; readonly level: Exclude<BudgetLevel, 'ok'>; readonly message: string };

export function level(used: number, limit: number): BudgetLevel {
  if (used >= limit) return 'over';
  return used >= limit * WARN_RATIO ? 'warn' : 'ok';
}

export function percent(used: number, limit: number): string {
  const share = (used / limit) * 100;
  return `${share < 10 ? share.toFixed(1) : Math.round(share)}%`;
}

export function thousands(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** What is at or above 80 % of a limit, with what would help. */
export function budgetFindings(name: string, budget: PipelineBudget): BudgetFinding[] {
  const findings: BudgetFinding[] = [];
  const definition = level(budget.definitionBytes, LIMITS.definitionBytes);
  if (definition !== 'ok') {
    findings.push({
      limit: 'definition',
      level: definition,
      message: `${name}: the definition is ${thousands(budget.definitionBytes)} bytes, ${percent(budget.definitionBytes, LIMITS.definitionBytes)} of Step Functions' 1 MiB limit; split the pipeline into machines that call each other (states:startExecution.sync)`,
    });
  }
  const history = level(budget.worstCase.events, LIMITS.historyEvents);
  if (history !== 'ok') {
    findings.push({
      limit: 'history',
      level: history,
      message: `${name}: one execution may write ${thousands(budget.worstCase.events)} history events in the worst case, ${percent(budget.worstCase.events, LIMITS.historyEvents)} of Step Functions' 25,000 limit; raise poll.max, shorten timeouts, or use mode: callback for long statements`,
    });
  }
  return findings;
}

/** One line of `generate`'s budget table. */
export function budgetLine(name: string, budget: PipelineBudget, nameWidth: number): string {
  return [
    `  ${name.padEnd(nameWidth)}`,
    `${String(budget.states).padStart(5)} states`,
    `${formatBytes(budget.definitionBytes).padStart(10)} ${`(${percent(budget.definitionBytes, LIMITS.definitionBytes)} of 1 MiB)`.padEnd(16)}`,
    `worst case ${thousands(budget.worstCase.events).padStart(6)} history events (${percent(budget.worstCase.events, LIMITS.historyEvents)} of 25,000)`,
  ].join('  ');
}
