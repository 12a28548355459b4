import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exponentialM3, lnUpperGammaFast, upperGamma, upperGammaInverse, waitShape, waitSurvival, waitSurvivalInverse } from './wait-shape.js';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

describe('the wait\'s gamma shape', () => {
  it('Q(a, x) matches its closed forms', () => {
    for (const x of [0.01, 0.5, 1, 2.5, 7, 30]) {
      close(upperGamma(1, x), Math.exp(-x), 1e-12, `Q(1, ${x})`);
      close(upperGamma(2, x), (1 + x) * Math.exp(-x), 1e-12, `Q(2, ${x})`);
      close(upperGamma(3, x), (1 + x + (x * x) / 2) * Math.exp(-x), 1e-12, `Q(3, ${x})`);
    }
    // Q(1/2, x) = erfc(√x); erfc(1) = 0.157299207050285 (tables).
    close(upperGamma(0.5, 1), 0.157299207050285, 1e-12, 'Q(1/2, 1)');
    // Non-integer shapes against an independent implementation: scipy.special.gammaincc (SciPy 1.17).
    close(upperGamma(1.5789473684, 1.5), 0.41872313354406376, 1e-10, 'Q(1.5789, 1.5)');
    close(upperGamma(0.7, 2.2), 0.061115600402502, 1e-10, 'Q(0.7, 2.2)');
    close(upperGamma(4.2, 3.3), 0.6212067352511667, 1e-10, 'Q(4.2, 3.3)');
    for (const [a, p] of [[1.5789, 0.2], [0.7, 0.05], [3, 0.01], [1, 0.5]] as const) close(upperGamma(a, upperGammaInverse(a, p)), p, 1e-9, `Q(${a}, Q⁻¹(${p}))`);
  });

  it('is exponential for exponential service and exact M/D/1 for constant service', () => {
    for (const rho of [0.05, 0.3, 0.6, 0.9]) {
      close(waitShape(rho, 1, 6), 1, 1e-12, `M/M at ${rho}`);
      close(waitShape(rho, 0.4, exponentialM3(0.4)), 1, 1e-12, `no third moment at ${rho}`);
      close(1 / waitShape(rho, 0, 1), 1 / 3 + (2 * rho) / 3, 1e-12, `M/D/1 at ${rho}`);
    }
  });

  it('keeps its mean and inverts its survival', () => {
    for (const shape of [1, 1.5789, 2.7]) {
      // Mean of a gamma = ∫ survival: trapezoid on a fine grid.
      let mean = 0;
      const dt = 0.001;
      for (let t = 0; t < 40; t += dt) mean += ((waitSurvival(t, 2, shape) + waitSurvival(t + dt, 2, shape)) / 2) * dt;
      close(mean, 2, 1e-3, `mean at shape ${shape}`);
      for (const p of [0.5, 0.1, 0.01]) close(waitSurvival(waitSurvivalInverse(p, 2, shape), 2, shape), p, 1e-9, `inverse at ${shape}, ${p}`);
    }
  });
});

describe('the tabulated ln Q', () => {
  it('stays within 0.5% of the series wherever a p95 can fall (Q from 1 down to 1e-6)', () => {
    let worst = 0;
    for (let k = 1 / 3; k <= 3; k += 0.0137) {
      for (let x = 0.001; x < 40; x *= 1.07) {
        const exact = upperGamma(k, x);
        if (exact < 1e-6) break;
        const fast = Math.exp(lnUpperGammaFast(k, x));
        worst = Math.max(worst, Math.abs(fast / exact - 1));
      }
    }
    assert.ok(worst < 0.005, `worst relative error ${worst}`);
  });
});
