/** A short unified-style diff of the first differing region: enough to see what changed. */
export function shortDiff(current: string, expected: string, maxLines = 12, context = 2): string[] {
  const before = current.split('\n');
  const after = expected.split('\n');
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start += 1;
  let endBefore = before.length - 1;
  let endAfter = after.length - 1;
  while (endBefore >= start && endAfter >= start && before[endBefore] === after[endAfter]) {
    endBefore -= 1;
    endAfter -= 1;
  }
  const from = Math.max(0, start - context);
  const lines = [`@@ line ${start + 1} @@`];
  for (let index = from; index < start; index += 1) lines.push(`  ${before[index]}`);
  const removed = before.slice(start, endBefore + 1).map((line) => `- ${line}`);
  const added = after.slice(start, endAfter + 1).map((line) => `+ ${line}`);
  const body = [...removed, ...added];
  lines.push(...body.slice(0, maxLines));
  if (body.length > maxLines) lines.push(`  … ${body.length - maxLines} more changed line(s)`);
  return lines;
}
