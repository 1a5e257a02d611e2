// How `generate` tells the use of Step Functions' limits: one table line per pipeline, and a
// finding with advice for what is at or above 80 % of a limit. The analysis is emit/limits.ts.
import { limitLevel, LIMITS, type LimitLevel, type LimitUsage } from '../emit/limits.ts';
import { formatBytes, percent, thousands } from '../emit/numbers.ts';
import { largestStateSize } from '../emit/state-size.ts';

export type LimitFinding = {
  readonly limit: 'definition' | 'history' | 'state';
  readonly level: Exclude<LimitLevel, 'ok'>;
  readonly message: string;
};

/** What is at or above 80 % of a limit, with what would help. */
export function limitFindings(name: string, usage: LimitUsage): LimitFinding[] {
  const findings: LimitFinding[] = [];
  const definition = limitLevel(usage.definitionBytes, LIMITS.definitionBytes);
  if (definition !== 'ok') {
    findings.push({
      limit: 'definition',
      level: definition,
      message: `${name}: the definition is ${thousands(usage.definitionBytes)} bytes, ${percent(usage.definitionBytes, LIMITS.definitionBytes)} of Step Functions' 1 MiB limit; split the pipeline into machines that call each other (states:startExecution.sync)`,
    });
  }
  const history = limitLevel(usage.worstCase.events, LIMITS.historyEvents);
  if (history !== 'ok') {
    findings.push({
      limit: 'history',
      level: history,
      message: `${name}: one execution may write ${thousands(usage.worstCase.events)} history events in the worst case, ${percent(usage.worstCase.events, LIMITS.historyEvents)} of Step Functions' 25,000 limit; raise poll.max, shorten timeouts, or use mode: callback for long statements`,
    });
  }
  const state = stateFinding(name, usage);
  return state === undefined ? findings : [...findings, state];
}

/** A step whose state or largest answer may come near 256 KiB, with what would help. */
function stateFinding(name: string, usage: LimitUsage): LimitFinding | undefined {
  const largest = largestStateSize(usage.stateSizes);
  const level = limitLevel(largest.bytes, LIMITS.stateBytes);
  if (level === 'ok') return undefined;
  const share = `${percent(largest.bytes, LIMITS.stateBytes)} of Step Functions' 256 KiB limit`;
  const message =
    largest.answerBytes >= largest.stateBytes
      ? `${name}: step '${largest.stepId}' may receive a ${thousands(largest.bytes)}-byte answer (DescribeStatement returns the SQL text), ${share}; move long SQL into a stored procedure, or lower results.maxBytes`
      : `${name}: step '${largest.stepId}' may hold ${thousands(largest.bytes)} bytes in its state besides the execution input, ${share}; lower results.maxBytes here or in earlier steps`;
  return { limit: 'state', level, message };
}

/** One line of `generate`'s limits table. */
export function limitsLine(name: string, usage: LimitUsage, nameWidth: number): string {
  const state = largestStateSize(usage.stateSizes).bytes;
  return [
    `  ${name.padEnd(nameWidth)}`,
    `${String(usage.states).padStart(5)} states`,
    `${formatBytes(usage.definitionBytes).padStart(10)} ${`(${percent(usage.definitionBytes, LIMITS.definitionBytes)} of 1 MiB)`.padEnd(16)}`,
    `worst case ${thousands(usage.worstCase.events).padStart(6)} history events (${percent(usage.worstCase.events, LIMITS.historyEvents)} of 25,000)`,
    `state ≤ ${formatBytes(state)} (${percent(state, LIMITS.stateBytes)} of 256 KiB)`,
  ].join('  ');
}
