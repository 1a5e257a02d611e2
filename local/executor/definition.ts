// Definition handling for the executor: `${Name}` substitutions, a walk over every nested machine
// (Parallel Branches, Map ItemProcessor/Iterator), and the minimal rewrites that make
// aws-local-stepfunctions 3.0.0 behave as Step Functions does. Pure functions on plain JSON.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A `${Name}` placeholder with no substitution. */
export class UnknownPlaceholderError extends Error {
  readonly placeholders: string[];
  constructor(placeholders: string[]) {
    super(
      `definition has placeholder${placeholders.length > 1 ? 's' : ''} without a substitution: ${placeholders
        .map((name) => '${' + name + '}')
        .join(', ')}`,
    );
    this.name = 'UnknownPlaceholderError';
    this.placeholders = placeholders;
  }
}

export class DefinitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DefinitionError';
  }
}

const PLACEHOLDER = /\$\{([^}\s]+)\}/g;

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `${Name}` replaced where `substitutions` has the name; others left as they are. */
export function replacePlaceholders(
  text: string,
  substitutions: Readonly<Record<string, string>>,
  onMissing?: (name: string) => void,
): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    if (Object.hasOwn(substitutions, name)) return substitutions[name] as string;
    onMissing?.(name);
    return whole;
  });
}

/** Every `${Name}` in the definition's strings (keys included), sorted. */
export function placeholderNames(definition: unknown): string[] {
  const names = new Set<string>();
  substituteStrings(definition as Json, (text) => replacePlaceholders(text, {}, (name) => names.add(name)));
  return [...names].sort();
}

function substituteStrings(value: Json, replace: (text: string) => string): Json {
  if (typeof value === 'string') return replace(value);
  if (Array.isArray(value)) return value.map((item) => substituteStrings(item, replace));
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const [key, inner] of Object.entries(value)) out[replace(key)] = substituteStrings(inner, replace);
    return out;
  }
  return value;
}

/**
 * Replaces `${Name}` in every string (values and keys), like CloudFormation's
 * DefinitionSubstitutions. Any placeholder left without a substitution is an error naming it.
 */
export function substitute(definition: Json, substitutions: Readonly<Record<string, string>> = {}): Json {
  const missing = new Set<string>();
  const replace = (text: string): string => replacePlaceholders(text, substitutions, (name) => missing.add(name));
  const result = substituteStrings(definition, replace);
  if (missing.size > 0) throw new UnknownPlaceholderError([...missing].sort());
  return result;
}

export type TaskStateInfo = {
  name: string;
  resource: string;
  /** TimeoutSeconds after scaling, as the engine will use it (undefined with TimeoutSecondsPath). */
  timeoutSeconds?: number;
  timeoutSecondsPath?: string;
  /** HeartbeatSeconds after scaling (the engine ignores it; the executor enforces it). */
  heartbeatSeconds?: number;
  /** The Parameters template, for checking member names up front. */
  parameters?: Json;
};

export type PreparedDefinition = {
  /** The definition the engine runs (rewritten copy). */
  runDefinition: JsonObject;
  tasks: Map<string, TaskStateInfo>;
  waitStates: string[];
  retryStates: string[];
  /** Parallel/Map state name → names of every Task state nested inside it. */
  nestedTasks: Map<string, Set<string>>;
};

/** The longest timer Node can arm (2^31-1 ms), in whole seconds: stands in for AWS's 99999999. */
export const MAX_TASK_TIMEOUT_SECONDS = 2_147_483;

/** Context fields the executor fills; `$$.Execution.Input`/`StartTime` paths are redirected to them. */
export const ROOT_INPUT_FIELD = 'LocalRootInput';
export const ROOT_START_TIME_FIELD = 'LocalRootStartTime';

const CONTEXT_PATH = /\$\$\.Execution\.(Input|StartTime)(?![A-Za-z0-9_])/g;

function rewriteContextPaths(text: string): string {
  return text.replace(CONTEXT_PATH, (_whole, field: string) =>
    field === 'Input' ? `$$.Execution.${ROOT_INPUT_FIELD}` : `$$.Execution.${ROOT_START_TIME_FIELD}`,
  );
}

/** Rewrites path strings (values of `*.$` keys, `*Path` fields, Choice `Variable`) inside a state. */
function rewritePaths(value: Json, key?: string): Json {
  if (typeof value === 'string') {
    if (key !== undefined && (key.endsWith('.$') || key.endsWith('Path') || key === 'Variable'))
      return rewriteContextPaths(value);
    return value;
  }
  if (Array.isArray(value)) return value.map((inner) => rewritePaths(inner));
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const [innerKey, inner] of Object.entries(value)) {
      // Nested machines are walked on their own.
      out[innerKey] =
        innerKey === 'Branches' || innerKey === 'ItemProcessor' || innerKey === 'Iterator'
          ? inner
          : rewritePaths(inner, innerKey);
    }
    return out;
  }
  return value;
}

/**
 * In Step Functions "States.Timeout" also matches a missed heartbeat ("A Task state either ran
 * longer than the TimeoutSeconds value, or failed to send a heartbeat for a period longer than the
 * HeartbeatSeconds value": error names in the Step Functions guide's error handling page); the
 * engine matches names exactly, so such a Catcher or Retrier also names States.HeartbeatTimeout.
 */
function timeoutCoversHeartbeat(handler: Json): Json {
  if (!isObject(handler) || !Array.isArray(handler.ErrorEquals)) return handler;
  const names = handler.ErrorEquals;
  if (!names.includes('States.Timeout') || names.includes('States.HeartbeatTimeout')) return handler;
  return { ...handler, ErrorEquals: [...names, 'States.HeartbeatTimeout'] };
}

function positive(value: Json | undefined): number | undefined {
  return typeof value === 'number' && value > 0 ? value : undefined;
}

/**
 * Walks every nested machine and produces the engine's copy of the definition with:
 * - `ResultPath: "$"` removed (the engine writes a key named "$" instead of replacing the input;
 *   omitting ResultPath means the same thing), in states and in Catchers;
 * - a Pass state's falsy `Result` (0, false, "", null) moved to `Parameters` (the engine ignores
 *   falsy Results and passes its input through);
 * - `$$.Execution.Input` / `$$.Execution.StartTime` redirected to context fields the executor
 *   fills (the engine sets them per nested machine: a Parallel branch saw its branch input and a
 *   fresh start time);
 * - Task `TimeoutSeconds` scaled by `timeoutScale`, and set to the longest timer Node allows when
 *   absent (the engine's default is 60 s; Step Functions' is 99999999 s);
 * - the machine's own `TimeoutSeconds` scaled by `timeoutScale`;
 * - a heartbeating Task's Catchers and Retriers of `States.Timeout` also naming
 *   `States.HeartbeatTimeout` (see timeoutCoversHeartbeat).
 */
export function prepareDefinition(definition: Json, options: { timeoutScale?: number } = {}): PreparedDefinition {
  const scale = options.timeoutScale ?? 1;
  if (!(scale > 0)) throw new DefinitionError(`timeoutScale must be > 0, got ${scale}`);
  if (!isObject(definition)) throw new DefinitionError('a state machine definition must be a JSON object');
  const walker = new DefinitionWalker(scale);
  const runDefinition = walker.machine(definition, 'States', []);
  const machineTimeout = positive(definition.TimeoutSeconds);
  if (machineTimeout !== undefined)
    runDefinition.TimeoutSeconds = Math.min(machineTimeout * scale, MAX_TASK_TIMEOUT_SECONDS);
  const { tasks, waitStates, retryStates, nestedTasks } = walker;
  return { runDefinition, tasks, waitStates: [...waitStates], retryStates: [...retryStates], nestedTasks };
}

/** Walks a definition and its nested machines, rewriting each state and collecting what it learns. */
class DefinitionWalker {
  readonly tasks = new Map<string, TaskStateInfo>();
  readonly waitStates = new Set<string>();
  readonly retryStates = new Set<string>();
  readonly nestedTasks = new Map<string, Set<string>>();

  constructor(private readonly scale: number) {}

  /** `enclosing`: the task sets of the Parallel/Map states this machine is nested in. */
  machine(machine: Json, where: string, enclosing: Set<string>[]): JsonObject {
    if (!isObject(machine) || !isObject(machine.States))
      throw new DefinitionError(`${where}: States must be an object`);
    const states: JsonObject = {};
    for (const [name, raw] of Object.entries(machine.States)) {
      if (!isObject(raw)) throw new DefinitionError(`${where}: state ${name} must be an object`);
      states[name] = this.state(name, raw, where, enclosing);
    }
    return { ...machine, States: states };
  }

  private state(name: string, raw: JsonObject, where: string, enclosing: Set<string>[]): JsonObject {
    const type = raw.Type;
    const state = engineCompatible(rewritePaths(raw) as JsonObject);
    if (Array.isArray(state.Retry) && state.Retry.length > 0) this.retryStates.add(name);
    if (type === 'Wait') this.waitStates.add(name);
    if (type === 'Task') {
      this.tasks.set(name, this.task(name, state, where));
      for (const set of enclosing) set.add(name);
    }
    if (type === 'Parallel') {
      const inner = this.nested(name);
      if (!Array.isArray(state.Branches)) throw new DefinitionError(`${where}: Parallel ${name} has no Branches`);
      state.Branches = state.Branches.map((branch, i) =>
        this.machine(branch, `${name}.Branches[${i}]`, [...enclosing, inner]),
      );
    }
    if (type === 'Map') {
      const inner = this.nested(name);
      for (const field of ['ItemProcessor', 'Iterator'] as const) {
        const processor = state[field];
        if (processor !== undefined) state[field] = this.machine(processor, `${name}.${field}`, [...enclosing, inner]);
      }
    }
    return state;
  }

  private nested(name: string): Set<string> {
    const inner = new Set<string>();
    this.nestedTasks.set(name, inner);
    return inner;
  }

  /** A Task's timeouts scaled (or the longest timer when it has none); its info for dispatch. */
  private task(name: string, state: JsonObject, where: string): TaskStateInfo {
    if (typeof state.Resource !== 'string') throw new DefinitionError(`${where}: Task ${name} has no Resource`);
    const info: TaskStateInfo = { name, resource: state.Resource };
    if (state.Parameters !== undefined) info.parameters = state.Parameters;
    const timeout = positive(state.TimeoutSeconds);
    if (timeout !== undefined) {
      const scaled = Math.min(timeout * this.scale, MAX_TASK_TIMEOUT_SECONDS);
      state.TimeoutSeconds = scaled;
      info.timeoutSeconds = scaled;
    } else if (typeof state.TimeoutSecondsPath === 'string') {
      info.timeoutSecondsPath = state.TimeoutSecondsPath;
    } else {
      state.TimeoutSeconds = MAX_TASK_TIMEOUT_SECONDS;
      info.timeoutSeconds = MAX_TASK_TIMEOUT_SECONDS;
    }
    const heartbeat = positive(state.HeartbeatSeconds);
    if (heartbeat !== undefined) {
      info.heartbeatSeconds = Math.min(heartbeat * this.scale, MAX_TASK_TIMEOUT_SECONDS);
      for (const field of ['Catch', 'Retry'] as const) {
        const handlers = state[field];
        if (Array.isArray(handlers)) state[field] = handlers.map(timeoutCoversHeartbeat);
      }
    }
    return info;
  }
}

/** `ResultPath: "$"` dropped (state and Catchers) and a Pass state's falsy Result moved to Parameters. */
function engineCompatible(state: JsonObject): JsonObject {
  if (state.ResultPath === '$') delete state.ResultPath;
  if (Array.isArray(state.Catch)) {
    state.Catch = state.Catch.map((catcher) => {
      if (isObject(catcher) && catcher.ResultPath === '$') {
        const copy = { ...catcher };
        delete copy.ResultPath;
        return copy;
      }
      return catcher;
    });
  }
  if (state.Type === 'Pass' && 'Result' in state && !state.Result) {
    state.Parameters = state.Result ?? null;
    delete state.Result;
  }
  return state;
}

/** Replaces every occurrence of `from` inside any string of `value` (deeply) with `to`. */
export function replaceInStrings(value: Json, from: string, to: string): Json {
  if (typeof value === 'string') return value.includes(from) ? value.split(from).join(to) : value;
  if (Array.isArray(value)) return value.map((inner) => replaceInStrings(inner, from, to));
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const [key, inner] of Object.entries(value)) out[key] = replaceInStrings(inner, from, to);
    return out;
  }
  return value;
}

/** Evaluates a simple reference path (`$`, `$.a.b`, `$.a[0]`, `$['a']`) as the engine does for *Path fields. */
export function evaluateSimplePath(path: string, input: Json): Json | undefined {
  if (path === '$') return input;
  if (!path.startsWith('$')) return undefined;
  const segments: (string | number)[] = [];
  const re = /\.([A-Za-z0-9_$-]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/gy;
  re.lastIndex = 1;
  while (re.lastIndex < path.length) {
    const match = re.exec(path);
    if (!match) return undefined;
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push(match[3] ?? match[4] ?? '');
  }
  let current: Json | undefined = input;
  for (const segment of segments) {
    if (typeof segment === 'number') current = Array.isArray(current) ? current[segment] : undefined;
    else current = isObject(current) ? current[segment] : undefined;
    if (current === undefined) return undefined;
  }
  return current;
}
