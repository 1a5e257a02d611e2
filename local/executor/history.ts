// History-event and state-transition accounting, the way Step Functions (Standard) counts them.
// Pure: fed aws-local-stepfunctions' event log entries one by one, answers Step Functions
// HistoryEvents. Used for the executor's result and for cost/quota benchmarks.
//
// Mapping (engine event → Step Functions history events):
//   ExecutionStarted/Succeeded/Failed → the same; ExecutionAborted → ExecutionAborted;
//   ExecutionTimeout → ExecutionTimedOut.
//   StateEntered  → <Type>StateEntered, then for a Task: TaskScheduled, TaskStarted
//                   (+ TaskSubmitted for `.waitForTaskToken` / `.sync`), for a Parallel:
//                   ParallelStateStarted, for a Map: MapStateStarted.
//   StateExited   → Task: TaskSucceeded + TaskStateExited (only TaskStateExited when the attempt
//                   failed and a Catch took it); Parallel: ParallelStateSucceeded +
//                   ParallelStateExited; Map: MapStateSucceeded + MapStateExited; other types:
//                   <Type>StateExited. (Fail states never exit.)
//   StateFailed   → Task: TaskFailed, or TaskTimedOut for States.Timeout/States.HeartbeatTimeout,
//                   nothing for States.Runtime (input/output processing, not the task itself);
//                   Parallel: ParallelStateFailed; Map: MapStateFailed; other types: nothing.
//   StateRetried  → a new attempt: Task: TaskScheduled + TaskStarted (+ TaskSubmitted);
//                   Parallel: ParallelStateStarted; Map: MapStateStarted.
//   StateCaught   → nothing (the state's exit follows).
//   MapIteration* → the same. ParallelBranch* → nothing: Step Functions has no branch events.
// State transitions (the billing unit): every state entered counts, at every nesting level and
// in every Map iteration, and every retry counts again. The execution start does not count.

export type HistoryEventType =
  | 'ExecutionStarted'
  | 'ExecutionSucceeded'
  | 'ExecutionFailed'
  | 'ExecutionAborted'
  | 'ExecutionTimedOut'
  | 'TaskStateEntered'
  | 'TaskScheduled'
  | 'TaskStarted'
  | 'TaskSubmitted'
  | 'TaskSucceeded'
  | 'TaskFailed'
  | 'TaskTimedOut'
  | 'TaskStateExited'
  | 'ParallelStateEntered'
  | 'ParallelStateStarted'
  | 'ParallelStateSucceeded'
  | 'ParallelStateFailed'
  | 'ParallelStateExited'
  | 'MapStateEntered'
  | 'MapStateStarted'
  | 'MapStateSucceeded'
  | 'MapStateFailed'
  | 'MapStateExited'
  | 'MapIterationStarted'
  | 'MapIterationSucceeded'
  | 'MapIterationFailed'
  | 'PassStateEntered'
  | 'PassStateExited'
  | 'WaitStateEntered'
  | 'WaitStateExited'
  | 'ChoiceStateEntered'
  | 'ChoiceStateExited'
  | 'SucceedStateEntered'
  | 'SucceedStateExited'
  | 'FailStateEntered';

export type HistoryEvent = {
  /** 1-based, in order of occurrence. */
  id: number;
  type: HistoryEventType;
  /** ISO-8601. */
  timestamp: string;
  stateName?: string;
  /** Task events: the Task's Resource. */
  resource?: string;
  error?: string;
  cause?: string;
  /** Inside a Map iteration: the iteration's index. */
  mapIterationIndex?: number;
};

/** The subset of aws-local-stepfunctions' EventLog this module reads. */
export type EngineEvent = {
  type: string;
  timestamp: number;
  state?: { name: string; type: string };
  Error?: string;
  Cause?: unknown;
  index?: number;
};

export type TaskInfo = { resource: string };

type StateType = 'Task' | 'Parallel' | 'Map' | 'Pass' | 'Wait' | 'Choice' | 'Succeed' | 'Fail';
const STATE_TYPES: ReadonlySet<string> = new Set(['Task', 'Parallel', 'Map', 'Pass', 'Wait', 'Choice', 'Succeed', 'Fail']);

/** `.waitForTaskToken` and `.sync` Tasks report TaskSubmitted once the request is accepted. */
export function isSubmittedPattern(resource: string): boolean {
  return /\.(waitForTaskToken|sync(:2)?)$/.test(resource);
}

function causeText(cause: unknown): string | undefined {
  if (cause === undefined || cause === null) return undefined;
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  try {
    return JSON.stringify(cause);
  } catch {
    return String(cause);
  }
}

export class HistoryBuilder {
  private readonly events: HistoryEvent[] = [];
  private transitions = 0;
  /** Keys (`index|name`) of states whose current attempt failed (a Catch may still exit them). */
  private readonly failed = new Set<string>();

  /** `taskInfo(stateName)` tells the Resource of a Task state. */
  constructor(private readonly taskInfo: (stateName: string) => TaskInfo | undefined = () => undefined) {}

  get history(): readonly HistoryEvent[] {
    return this.events;
  }

  get stateTransitions(): number {
    return this.transitions;
  }

  get historyEventCount(): number {
    return this.events.length;
  }

  /** Consumes one engine event; answers the history events it produced (possibly none). */
  push(event: EngineEvent): HistoryEvent[] {
    const start = this.events.length;
    const timestamp = new Date(event.timestamp).toISOString();
    const base = (type: HistoryEventType, extra: Partial<HistoryEvent> = {}): void => {
      const record: HistoryEvent = { id: this.events.length + 1, type, timestamp, ...extra };
      this.events.push(record);
    };
    const state = event.state;
    const stateType = state && STATE_TYPES.has(state.type) ? (state.type as StateType) : undefined;
    const stateFields = (): Partial<HistoryEvent> => {
      const fields: Partial<HistoryEvent> = {};
      if (state) fields.stateName = state.name;
      if (event.index !== undefined) fields.mapIterationIndex = event.index;
      return fields;
    };
    const taskFields = (): Partial<HistoryEvent> => {
      const fields = stateFields();
      const info = state ? this.taskInfo(state.name) : undefined;
      if (info) fields.resource = info.resource;
      return fields;
    };
    const errorFields = (): Partial<HistoryEvent> => {
      const fields: Partial<HistoryEvent> = {};
      if (event.Error !== undefined) fields.error = event.Error;
      const cause = causeText(event.Cause);
      if (cause !== undefined) fields.cause = cause;
      return fields;
    };
    const key = state ? `${event.index ?? ''}|${state.name}` : '';
    const startAttempt = (): void => {
      if (stateType === 'Task') {
        base('TaskScheduled', taskFields());
        base('TaskStarted', taskFields());
        const info = state ? this.taskInfo(state.name) : undefined;
        if (info && isSubmittedPattern(info.resource)) base('TaskSubmitted', taskFields());
      } else if (stateType === 'Parallel') {
        base('ParallelStateStarted', stateFields());
      } else if (stateType === 'Map') {
        base('MapStateStarted', stateFields());
      }
    };

    switch (event.type) {
      case 'ExecutionStarted':
        base('ExecutionStarted');
        break;
      case 'ExecutionSucceeded':
        base('ExecutionSucceeded');
        break;
      case 'ExecutionFailed':
        base('ExecutionFailed', errorFields());
        break;
      case 'ExecutionAborted':
        base('ExecutionAborted');
        break;
      case 'ExecutionTimeout':
        base('ExecutionTimedOut');
        break;
      case 'StateEntered':
        if (!stateType) break;
        this.transitions++;
        this.failed.delete(key);
        base(`${stateType}StateEntered`, stateFields());
        startAttempt();
        break;
      case 'StateRetried':
        if (!stateType) break;
        this.transitions++;
        this.failed.delete(key);
        startAttempt();
        break;
      case 'StateFailed':
        if (!stateType) break;
        this.failed.add(key);
        if (stateType === 'Task') {
          if (event.Error === 'States.Timeout' || event.Error === 'States.HeartbeatTimeout') {
            base('TaskTimedOut', { ...taskFields(), ...errorFields() });
          } else if (event.Error !== 'States.Runtime') {
            base('TaskFailed', { ...taskFields(), ...errorFields() });
          }
        } else if (stateType === 'Parallel') {
          base('ParallelStateFailed', { ...stateFields(), ...errorFields() });
        } else if (stateType === 'Map') {
          base('MapStateFailed', { ...stateFields(), ...errorFields() });
        }
        break;
      case 'StateCaught':
        break;
      case 'StateExited': {
        if (!stateType || stateType === 'Fail') break;
        const caught = this.failed.delete(key);
        if (!caught) {
          if (stateType === 'Task') base('TaskSucceeded', taskFields());
          else if (stateType === 'Parallel') base('ParallelStateSucceeded', stateFields());
          else if (stateType === 'Map') base('MapStateSucceeded', stateFields());
        }
        base(`${stateType}StateExited`, stateType === 'Task' ? taskFields() : stateFields());
        break;
      }
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const fields: Partial<HistoryEvent> = event.index !== undefined ? { mapIterationIndex: event.index } : {};
        base(event.type, event.type === 'MapIterationFailed' ? { ...fields, ...errorFields() } : fields);
        break;
      }
      default:
        // ParallelBranchStarted/Succeeded/Failed: no Step Functions counterpart.
        break;
    }
    return this.events.slice(start);
  }
}

/** Convenience: the whole accounting for a finished event log. */
export function accountHistory(
  events: Iterable<EngineEvent>,
  taskInfo?: (stateName: string) => TaskInfo | undefined,
): { history: HistoryEvent[]; stateTransitions: number; historyEventCount: number } {
  const builder = new HistoryBuilder(taskInfo);
  for (const event of events) builder.push(event);
  return { history: [...builder.history], stateTransitions: builder.stateTransitions, historyEventCount: builder.historyEventCount };
}
