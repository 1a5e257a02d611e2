type Edit = { readonly kind: 'same' | 'removed' | 'added'; readonly line: string; readonly at: number };

/** Myers' O(ND) line diff: the edit script from `before` to `after`. */
function editScript(before: readonly string[], after: readonly string[]): Edit[] {
  const max = before.length + after.length;
  const frontier = new Map<number, number>([[1, 0]]);
  const trace: Map<number, number>[] = [];
  for (let depth = 0; depth <= max; depth += 1) {
    trace.push(new Map(frontier));
    for (let diagonal = -depth; diagonal <= depth; diagonal += 2) {
      const down = diagonal === -depth || (diagonal !== depth && (frontier.get(diagonal - 1) ?? -1) < (frontier.get(diagonal + 1) ?? -1));
      let x = down ? (frontier.get(diagonal + 1) ?? 0) : (frontier.get(diagonal - 1) ?? 0) + 1;
      let y = x - diagonal;
      while (x < before.length && y < after.length && before[x] === after[y]) {
        x += 1;
        y += 1;
      }
      frontier.set(diagonal, x);
      if (x >= before.length && y >= after.length) return backtrack(trace, before, after, depth);
    }
  }
  return [];
}

function backtrack(trace: Map<number, number>[], before: readonly string[], after: readonly string[], finalDepth: number): Edit[] {
  const edits: Edit[] = [];
  let x = before.length;
  let y = after.length;
  for (let depth = finalDepth; depth >= 0; depth -= 1) {
    const frontier = trace[depth] as Map<number, number>;
    const diagonal = x - y;
    const down = diagonal === -depth || (diagonal !== depth && (frontier.get(diagonal - 1) ?? -1) < (frontier.get(diagonal + 1) ?? -1));
    const previousDiagonal = down ? diagonal + 1 : diagonal - 1;
    const previousX = frontier.get(previousDiagonal) ?? 0;
    const previousY = previousX - previousDiagonal;
    while (x > previousX && y > previousY) {
      x -= 1;
      y -= 1;
      edits.push({ kind: 'same', line: before[x] as string, at: x });
    }
    if (depth > 0) {
      if (down) edits.push({ kind: 'added', line: after[previousY] as string, at: previousX });
      else edits.push({ kind: 'removed', line: before[previousX] as string, at: previousX });
    }
    x = previousX;
    y = previousY;
  }
  return edits.reverse();
}

/** A short unified-style diff: the changed lines with a little context, at most `maxLines` of them. */
export function shortDiff(current: string, expected: string, maxLines = 16, context = 1): string[] {
  const edits = editScript(current.split('\n'), expected.split('\n'));
  const changed = edits.map((edit, index) => (edit.kind === 'same' ? -1 : index)).filter((index) => index >= 0);
  const shown = new Set<number>();
  for (const index of changed) for (let near = index - context; near <= index + context; near += 1) if (near >= 0 && near < edits.length) shown.add(near);
  const lines: string[] = [];
  let previous = -2;
  for (const index of [...shown].sort((a, b) => a - b)) {
    const edit = edits[index] as Edit;
    if (index !== previous + 1) lines.push(`@@ line ${edit.at + 1} @@`);
    lines.push(`${edit.kind === 'same' ? ' ' : edit.kind === 'removed' ? '-' : '+'} ${edit.line}`);
    previous = index;
  }
  if (lines.length <= maxLines) return lines;
  return [...lines.slice(0, maxLines), `  … ${changed.length} changed line(s) in all`];
}
