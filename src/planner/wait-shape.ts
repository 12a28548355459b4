// The shape of a queue's waiting time, for those who wait. M/M/c gives an exponential; with
// service times that vary less (an engine whose requests are all alike: M/D/1 at the extreme)
// the wait of those who wait is less variable, and an exponential with the right mean puts its
// 95th percentile 25–35% too far out at 40–60% load. So the conditional wait is a gamma
// distribution with the mean the model already has (Allen–Cunneen) and the squared coefficient
// of variation of the M/G/1 wait given it is positive, from Takács' first two moments:
//   E[W] = λE[S²] / (2(1−ρ)),  E[W²] = 2E[W]² + λE[S³] / (3(1−ρ)),  P(W > 0) = ρ, so
//   scv(W | W > 0) = ρE[W²]/E[W]² − 1 = 2ρ + 4·m3·(1−ρ) / (3(1+scv)²) − 1,
// with scv and m3 = E[S³]/E[S]³ the service time's normalized second and third moments. It is
// exactly 1 for exponential service (M/M/c keeps its exponential) and 1/3 + 2ρ/3 for constant
// service (M/D/1, exact); with several servers it is the same formula at the fleet's ρ, a
// heuristic that keeps both ends. docs/planner.md, "The model's assumptions".

/** The gamma shape k = 1/scv of the conditional wait; 1 = exponential. */
export function waitShape(rho: number, scv: number, m3: number): number {
  const r = Math.min(1, Math.max(0, rho));
  const conditional = 2 * r + (4 * m3 * (1 - r)) / (3 * (1 + scv) ** 2) - 1;
  // Bounded: a wait is never made more regular than constant service allows at ρ → 0 (1/3), and
  // no service-time law here gives a conditional wait much wilder than exponential.
  return 1 / Math.min(3, Math.max(1 / 3, conditional));
}

/** The third normalized moment that makes waitShape exponential (k = 1) at every ρ: what a table without one assumes. */
export function exponentialM3(scv: number): number {
  return 1.5 * (1 + scv) ** 2;
}

/**
 * P(W > t | W > 0) for a gamma wait of mean `mean` and shape `shape`: Q(k, t·k/mean), the
 * regularized upper incomplete gamma function (exactly e^(−t/mean) when k = 1). Sizing asks for
 * it millions of times per plan, so it comes from tables of ln Q (below), not the series.
 */
export function waitSurvival(t: number, mean: number, shape: number): number {
  if (t <= 0) return 1;
  if (shape === 1) return Math.exp(-t / mean);
  return Math.exp(lnUpperGammaFast(shape, (t * shape) / mean));
}

/**
 * waitSurvival for many t at one shape (sizing's inner loops): `table` is waitTable(shape),
 * looked up once per fleet state instead of once per call.
 */
export function waitSurvivalWith(table: Float64Array | null, t: number, mean: number, shape: number): number {
  if (t <= 0) return 1;
  if (table === null) return shape === 1 ? Math.exp(-t / mean) : waitSurvival(t, mean, shape);
  return Math.exp(lnFromTable(table, (t * shape) / mean, shape));
}

/** The ln Q table of this shape, or null where none is kept (k = 1, or outside the tabulated shapes). */
export function waitTable(shape: number): Float64Array | null {
  return shape === 1 || shape < K_MIN || shape > K_MAX ? null : blended(shape);
}

/** The t with P(W > t | W > 0) = p (0 < p < 1), for the same gamma wait. */
export function waitSurvivalInverse(p: number, mean: number, shape: number): number {
  if (p >= 1) return 0;
  if (shape === 1) return mean * Math.log(1 / p);
  const target = Math.log(p);
  let lo = 0;
  let hi = Math.max(1, shape);
  while (lnUpperGammaFast(shape, hi) > target) hi *= 2;
  for (let i = 0; i < 60 && hi - lo > 1e-10 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (lnUpperGammaFast(shape, mid) > target) lo = mid;
    else hi = mid;
  }
  return (((lo + hi) / 2) * mean) / shape;
}

/**
 * Points of the wait of mean 1 and shape k at the probabilities (i + 0.5)/n (the month
 * simulation's stratified wait): interpolated between the points of the tabulated shapes on
 * either side, so that every fleet state does not invert Q a thousand times.
 */
export function waitPoints(shape: number, n: number): Float64Array {
  if (shape === 1 || shape < K_MIN || shape > K_MAX) return gridPoints(shape, n);
  const key = `${n}:${shape}`;
  const known = MIXED.get(key);
  if (known) return known;
  const v = (shape - K_MIN) / K_STEP;
  const j = Math.min(Math.floor(v), Math.round((K_MAX - K_MIN) / K_STEP) - 1);
  const w = v - j;
  const lo = gridPoints(K_MIN + j * K_STEP, n);
  const hi = gridPoints(K_MIN + (j + 1) * K_STEP, n);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (lo[i] as number) * (1 - w) + (hi[i] as number) * w;
  if (MIXED.size > 1024) MIXED.clear();
  MIXED.set(key, out);
  return out;
}
const MIXED = new Map<string, Float64Array>();

function gridPoints(shape: number, n: number): Float64Array {
  const key = `${n}:${shape}`;
  const cached = POINTS.get(key);
  if (cached) return cached;
  const points = new Float64Array(n);
  for (let i = 0; i < n; i++) points[i] = waitSurvivalInverse(1 - (i + 0.5) / n, 1, shape);
  if (POINTS.size > 512) POINTS.clear();
  POINTS.set(key, points);
  return points;
}
const POINTS = new Map<string, Float64Array>();

// ln Q(k, x) tabulated for shapes K_MIN..K_MAX every K_STEP at x = X_MAX·(i/GRID)² (dense near 0,
// where Q bends fastest for k < 1), interpolated linearly in x and then in k; beyond X_MAX (Q below
// 1e-24) extrapolated with Q's own slope; outside the shapes waitShape returns, the series.
// wait-shape.test.ts holds it to the series.
const K_MIN = 1 / 3;
const K_MAX = 3;
const K_STEP = 0.02;
const GRID = 1024;
const X_MAX = 64;
const TABLES = new Map<number, Float64Array>();

function lnTable(j: number): Float64Array {
  let table = TABLES.get(j);
  if (!table) {
    const k = K_MIN + j * K_STEP;
    table = new Float64Array(GRID + 1);
    for (let i = 0; i <= GRID; i++) table[i] = Math.log(Math.max(1e-300, upperGamma(k, X_MAX * (i / GRID) ** 2)));
    TABLES.set(j, table);
  }
  return table;
}

function lnFromTable(table: Float64Array, x: number, k: number): number {
  // Far out (Q < 1e-24): Q's own slope there, d ln Q/dx ≈ (k − 1)/x − 1, from the table's end.
  if (x >= X_MAX) return (table[GRID] as number) - (x - X_MAX) * (1 - (k - 1) / X_MAX);
  const u = Math.sqrt(x / X_MAX) * GRID;
  const i = Math.min(GRID - 1, Math.floor(u));
  const f = u - i;
  return (table[i] as number) * (1 - f) + (table[i + 1] as number) * f;
}

/** ln Q(k, x), from the tables where they reach. */
export function lnUpperGammaFast(k: number, x: number): number {
  if (x <= 0) return 0;
  if (k < K_MIN || k > K_MAX) return Math.log(Math.max(1e-300, upperGamma(k, x)));
  return lnFromTable(blended(k), x, k);
}

/** The table of shape k: its neighbours on the grid mixed, once per shape (a plan meets few). */
function blended(k: number): Float64Array {
  let table = BLENDED.get(k);
  if (table) return table;
  const v = (k - K_MIN) / K_STEP;
  const j = Math.min(Math.floor(v), Math.round((K_MAX - K_MIN) / K_STEP) - 1);
  const w = v - j;
  const lo = lnTable(j);
  const hi = lnTable(j + 1);
  table = new Float64Array(GRID + 1);
  for (let i = 0; i <= GRID; i++) table[i] = (lo[i] as number) * (1 - w) + (hi[i] as number) * w;
  if (BLENDED.size > 4096) BLENDED.clear();
  BLENDED.set(k, table);
  return table;
}
const BLENDED = new Map<number, Float64Array>();

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9: ~15 digits). */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  const y = x - 1;
  let a = c[0] as number;
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += (c[i] as number) / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Q(a, x) = Γ(a, x)/Γ(a): the series for x < a + 1, Lentz's continued fraction beyond (Numerical Recipes 6.2). */
export function upperGamma(a: number, x: number): number {
  if (x <= 0) return 1;
  const front = Math.exp(-x + a * Math.log(x) - lnGamma(a));
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return Math.min(1, Math.max(0, 1 - front * sum));
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.min(1, Math.max(0, front * h));
}

/** The x with Q(a, x) = p, by bisection (Q falls from 1 to 0; 100 halvings of a bracket). */
export function upperGammaInverse(a: number, p: number): number {
  if (p >= 1) return 0;
  let lo = 0;
  let hi = Math.max(1, a);
  while (upperGamma(a, hi) > p) hi *= 2;
  for (let i = 0; i < 100 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (upperGamma(a, mid) > p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
