// Pure arithmetic of the benchmark: order statistics, a least-squares line, formatting.
// No I/O, so test/bench checks it quickly as part of `npm test`.

/** The q-quantile (0 ≤ q ≤ 1) by linear interpolation between closest ranks (numpy's default). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${q} is outside [0, 1]`);
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const low = sorted[lower] as number;
  const high = sorted[upper] as number;
  return low + (high - low) * (position - lower);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

export type Summary = { n: number; min: number; median: number; p95: number; p99: number; max: number; mean: number };

export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  return {
    n,
    min: n === 0 ? Number.NaN : Math.min(...values),
    median: median(values),
    p95: quantile(values, 0.95),
    p99: quantile(values, 0.99),
    max: n === 0 ? Number.NaN : Math.max(...values),
    mean: n === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / n,
  };
}

/** y ≈ intercept + slope·x by ordinary least squares; r2 is the coefficient of determination. */
export type LinearFit = { intercept: number; slope: number; r2: number };

export function linearFit(points: readonly (readonly [number, number])[]): LinearFit {
  if (points.length < 2) throw new RangeError('a line needs at least two points');
  const n = points.length;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const [x, y] of points) {
    sxx += (x - meanX) ** 2;
    sxy += (x - meanX) * (y - meanY);
    syy += (y - meanY) ** 2;
  }
  if (sxx === 0) throw new RangeError('a line needs at least two distinct x values');
  const slope = sxy / sxx;
  const intercept = meanY - slope * meanX;
  let residual = 0;
  for (const [x, y] of points) residual += (y - (intercept + slope * x)) ** 2;
  return { intercept, slope, r2: syy === 0 ? 1 : 1 - residual / syy };
}

/**
 * The slope between consecutive points (sorted by x): Δy/Δx per segment. For a linear process
 * with a constant overhead every segment has about the same slope; a growing slope is super-linear.
 */
export function marginalSlopes(
  points: readonly (readonly [number, number])[],
): { from: number; to: number; slope: number }[] {
  const sorted = [...points].sort((a, b) => a[0] - b[0]);
  const slopes: { from: number; to: number; slope: number }[] = [];
  for (let index = 1; index < sorted.length; index++) {
    const [x0, y0] = sorted[index - 1] as readonly [number, number];
    const [x1, y1] = sorted[index] as readonly [number, number];
    if (x1 === x0) throw new RangeError(`two points share x = ${x0}`);
    slopes.push({ from: x0, to: x1, slope: (y1 - y0) / (x1 - x0) });
  }
  return slopes;
}

/**
 * The largest integer n in [low, high] with fits(n), assuming fits is monotone (true then false).
 * Answers low − 1 when even low does not fit.
 */
export function largestFitting(low: number, high: number, fits: (n: number) => boolean): number {
  if (!fits(low)) return low - 1;
  if (fits(high)) return high;
  let good = low;
  let bad = high;
  while (bad - good > 1) {
    const middle = Math.floor((good + bad) / 2);
    if (fits(middle)) good = middle;
    else bad = middle;
  }
  return good;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

export function formatInt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

export function formatSeconds(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0 && seconds >= 60) return `${seconds / 60} min`;
  if (seconds >= 3600) return `${(seconds / 3600).toFixed(2)} h`;
  return `${seconds} s`;
}

/** A small seeded PRNG (mulberry32): the same seed gives the same statement lengths on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A value log-uniformly distributed in [low, high] from a uniform u in [0, 1). */
export function logUniform(u: number, low: number, high: number): number {
  return Math.exp(Math.log(low) + u * (Math.log(high) - Math.log(low)));
}
