const UNIT_SECONDS = { h: 3600, m: 60, s: 1 } as const;

/** `30s`, `5m`, `2h`, `1h30m` or whole seconds → seconds; undefined when not a duration. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : undefined;
  const match = /^(?=\d)(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value.trim());
  if (!match) return /^\d+$/.test(value.trim()) && Number(value) > 0 ? Number(value) : undefined;
  const [, hours, minutes, seconds] = match;
  const total = Number(hours ?? 0) * UNIT_SECONDS.h + Number(minutes ?? 0) * UNIT_SECONDS.m + Number(seconds ?? 0);
  return total > 0 ? total : undefined;
}

/** Seconds → the shortest spec duration text (`90` → `1m30s`). */
export function formatDuration(seconds: number): string {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  return `${hours ? `${hours}h` : ''}${minutes ? `${minutes}m` : ''}${rest || seconds === 0 ? `${rest}s` : ''}`;
}
