// Step Functions' payload quota: "Maximum input or output size for a task, state, or execution:
// 256 KiB of data as a UTF-8 encoded string" (Step Functions developer guide, "Step Functions
// service quotas"). Exceeding it raises States.DataLimitExceeded, "a terminal error that can't be
// caught by the States.ALL error type" ("Error handling in Step Functions": reported when a
// connector's output, a state's output, or a state's input after Parameters is over the quota).

export const PAYLOAD_LIMIT_BYTES = 256 * 1024;
export const DATA_LIMIT_EXCEEDED = 'States.DataLimitExceeded';

/** The problem with a payload over the quota, or undefined when it fits. */
export function payloadOverLimit(what: string, stateName: string, payload: unknown): string | undefined {
  const bytes = Buffer.byteLength(JSON.stringify(payload) ?? 'null', 'utf8');
  if (bytes <= PAYLOAD_LIMIT_BYTES) return undefined;
  return `The ${what} of state '${stateName}' has ${bytes} bytes, over the maximum of ${PAYLOAD_LIMIT_BYTES} bytes (256 KiB).`;
}
