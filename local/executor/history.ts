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
const STATE_TYPES: ReadonlySet<string> = new Set([
  'Task',
  'Parallel',
  'Map',
  'Pass',
  'Wait',
  'Choice',
  'Succeed',
  'Fail',
]);

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
    const fields = new EventFields(event, this.taskInfo);
    const record = (type: HistoryEventType, extra: Partial<HistoryEvent> = {}): void => {
      this.events.push({ id: this.events.length + 1, type, timestamp: fields.timestamp, ...extra });
    };
    switch (event.type) {
      case 'ExecutionStarted':
      case 'ExecutionSucceeded':
      case 'ExecutionAborted':
        record(event.type);
        break;
      case 'ExecutionFailed':
        record('ExecutionFailed', fields.error());
        break;
      case 'ExecutionTimeout':
        record('ExecutionTimedOut');
        break;
      case 'StateEntered':
      case 'StateRetried':
        this.entered(fields, record, event.type === 'StateEntered');
        break;
      case 'StateFailed':
        this.stateFailed(fields, record);
        break;
      case 'StateExited':
        this.exited(fields, record);
        break;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const iteration: Partial<HistoryEvent> = event.index !== undefined ? { mapIterationIndex: event.index } : {};
        record(event.type, event.type === 'MapIterationFailed' ? { ...iteration, ...fields.error() } : iteration);
        break;
      }
      default:
        // StateCaught (the Catch shows in the exit), ParallelBranchStarted/Succeeded/Failed: no
        // Step Functions counterpart.
        break;
    }
    return this.events.slice(start);
  }

  /** A state entered, or a retry of it: one transition each, and the attempt's start events. */
  private entered(fields: EventFields, record: RecordEvent, firstAttempt: boolean): void {
    const { stateType } = fields;
    if (!stateType) return;
    this.transitions++;
    this.failed.delete(fields.key);
    if (firstAttempt) record(`${stateType}StateEntered`, fields.state());
    if (stateType === 'Task') {
      record('TaskScheduled', fields.task());
      record('TaskStarted', fields.task());
      const info = fields.taskInfo();
      if (info && isSubmittedPattern(info.resource)) record('TaskSubmitted', fields.task());
    } else if (stateType === 'Parallel') {
      record('ParallelStateStarted', fields.state());
    } else if (stateType === 'Map') {
      record('MapStateStarted', fields.state());
    }
  }

  private stateFailed(fields: EventFields, record: RecordEvent): void {
    const { stateType, event } = fields;
    if (!stateType) return;
    this.failed.add(fields.key);
    if (stateType === 'Task') {
      if (event.Error === 'States.Timeout' || event.Error === 'States.HeartbeatTimeout')
        record('TaskTimedOut', { ...fields.task(), ...fields.error() });
      else if (event.Error !== 'States.Runtime') record('TaskFailed', { ...fields.task(), ...fields.error() });
    } else if (stateType === 'Parallel') {
      record('ParallelStateFailed', { ...fields.state(), ...fields.error() });
    } else if (stateType === 'Map') {
      record('MapStateFailed', { ...fields.state(), ...fields.error() });
    }
  }

  /** A state exited: succeeded unless its attempt failed and a Catch took it out. */
  private exited(fields: EventFields, record: RecordEvent): void {
    const { stateType } = fields;
    if (!stateType || stateType === 'Fail') return;
    const caught = this.failed.delete(fields.key);
    if (!caught) {
      if (stateType === 'Task') record('TaskSucceeded', fields.task());
      else if (stateType === 'Parallel') record('ParallelStateSucceeded', fields.state());
      else if (stateType === 'Map') record('MapStateSucceeded', fields.state());
    }
    record(`${stateType}StateExited`, stateType === 'Task' ? fields.task() : fields.state());
  }
}

type RecordEvent = (type: HistoryEventType, extra?: Partial<HistoryEvent>) => void;

/** What the history events of one engine event carry: its state, Task resource, error. */
class EventFields {
  readonly timestamp: string;
  readonly stateType: StateType | undefined;
  /** `index|name`: a state, per Map iteration. */
  readonly key: string;

  constructor(
    readonly event: EngineEvent,
    private readonly lookup: (stateName: string) => TaskInfo | undefined,
  ) {
    this.timestamp = new Date(event.timestamp).toISOString();
    const state = event.state;
    this.stateType = state && STATE_TYPES.has(state.type) ? (state.type as StateType) : undefined;
    this.key = state ? `${event.index ?? ''}|${state.name}` : '';
  }

  taskInfo(): TaskInfo | undefined {
    return this.event.state ? this.lookup(this.event.state.name) : undefined;
  }

  state(): Partial<HistoryEvent> {
    const fields: Partial<HistoryEvent> = {};
    if (this.event.state) fields.stateName = this.event.state.name;
    if (this.event.index !== undefined) fields.mapIterationIndex = this.event.index;
    return fields;
  }

  task(): Partial<HistoryEvent> {
    const fields = this.state();
    const info = this.taskInfo();
    if (info) fields.resource = info.resource;
    return fields;
  }

  error(): Partial<HistoryEvent> {
    const fields: Partial<HistoryEvent> = {};
    if (this.event.Error !== undefined) fields.error = this.event.Error;
    const cause = causeText(this.event.Cause);
    if (cause !== undefined) fields.cause = cause;
    return fields;
  }
}

/** Convenience: the whole accounting for a finished event log. */
export function accountHistory(
  events: Iterable<EngineEvent>,
  taskInfo?: (stateName: string) => TaskInfo | undefined,
): { history: HistoryEvent[]; stateTransitions: number; historyEventCount: number } {
  const builder = new HistoryBuilder(taskInfo);
  for (const event of events) builder.push(event);
  return {
    history: [...builder.history],
    stateTransitions: builder.stateTransitions,
    historyEventCount: builder.historyEventCount,
  };
}
