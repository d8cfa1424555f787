/**
 * The toy densities of the normalising-flow literature (the FFJORD set: same shapes and scales as
 * its toy_data.py), plus one 1-D mixture for the Gaussian-fit and histogram views. Every set is
 * drawn from a seeded `Rng`, so a run's data are reproducible from its seed, and the test draw
 * from a fixed seed, so that every run is scored on the same held-out points.
 */
import { POINT_DATASETS, type PointDatasetName } from '../../protocol/datasets';
import { Rng } from '../rng';

export const TOY_DATASETS = POINT_DATASETS;
export type ToyName = PointDatasetName;

export interface ToySpec {
  dim: 1 | 2;
  /**
   * [xMin, xMax, yMin, yMax]: axis-aligned box where nearly all mass lies, for density grids. The
   * 2-D sets share FFJORD's [-4, 4]² so that pictures compare with the papers'; in 1-D the y range
   * is unused.
   */
  extent: [number, number, number, number];
  /** One line with the generator's parameters: shown in the UI and the README. */
  description: string;
  /** Exact differential entropy in nats (the best achievable test NLL) where known. */
  entropy?: number;
}

const SQUARE: [number, number, number, number] = [-4, 4, -4, 4];

export const TOY_SPECS: Record<ToyName, ToySpec> = {
  '8gaussians': {
    dim: 2,
    extent: SQUARE,
    description: 'Eight equal Gaussians with std 0.5 centred every 45° on a circle of radius 4, all scaled by 1/√2: centres at radius 2.83, per-axis variance 1/8.',
  },
  checkerboard: {
    dim: 2,
    extent: SQUARE,
    description: 'Uniform over the 8 black squares of a 4×4 board of 2×2 squares on [−4, 4]²: area 32, density 1/32, entropy ln 32 = 3.47 nats.',
    entropy: Math.log(32),
  },
  moons: {
    dim: 2,
    extent: SQUARE,
    description: 'Two interleaved half-circles of radius 2 (upper centred at (−1, −0.2), lower at (1, 0.8)), equal weights, Gaussian noise std 0.2.',
  },
  rings: {
    dim: 2,
    extent: SQUARE,
    description: 'Four concentric circles of radius 0.75, 1.5, 2.25 and 3, equal weights, uniform angle, Gaussian noise std 0.08.',
  },
  circles: {
    dim: 2,
    extent: SQUARE,
    description: 'Two concentric circles of radius 3 and 1.5, equal weights, uniform angle, Gaussian noise std 0.24.',
  },
  swissroll: {
    dim: 2,
    extent: SQUARE,
    description: 'Swiss roll: angle t uniform in [1.5π, 4.5π], point (t cos t, t sin t)/5 (radius 0.94 to 2.83), Gaussian noise std 0.2.',
  },
  pinwheel: {
    dim: 2,
    extent: SQUARE,
    description: 'Five arms 72° apart: radial N(1, 0.3²) and tangential N(0, 0.1²) offsets, each point turned clockwise by 0.25·exp(radial), scaled by 2.',
  },
  '2spirals': {
    dim: 2,
    extent: SQUARE,
    description: 'Two opposite spirals of 1.5 turns: angle θ = 3π√u, point ±(−θ cos θ, θ sin θ)/3 with uniform jitter in [0, 1/6] per axis, Gaussian noise std 0.1.',
  },
  bimodal: {
    dim: 1,
    extent: [-5, 5, 0, 1],
    description: '1-D mixture 0.3·N(−2, 0.5²) + 0.7·N(1.5, 0.8²): mean 0.45, variance 3.0955.',
  },
};

/** Points per split: 10,000 test points put the standard error of a mean test NLL near 0.01 nats. */
export const TOY_TRAIN_COUNT = 50_000;
export const TOY_TEST_COUNT = 10_000;
/**
 * Fixed, and independent of the run's seed, so that every run's test NLL is measured on the same
 * points and runs with different seeds stay comparable.
 */
export const TOY_TEST_SEED = 20260202;
/** Stream labels: train and test never coincide, even when the run's seed equals TOY_TEST_SEED. */
const TRAIN_STREAM = 1;
const TEST_STREAM = 2;

/** One point from two standard normal draws and whatever uniform draws it needs from `rng`. */
type PointSampler = (rng: Rng, z0: number, z1: number) => [number] | [number, number];

/** Uniform angle in [0, 2π). */
const angle = (rng: Rng) => 2 * Math.PI * rng.next();
/** Uniform integer in 0..n-1. */
const pick = (rng: Rng, n: number) => Math.floor(rng.next() * n);

/** A point on a circle of radius r at a uniform angle, plus isotropic noise of std `std`. */
function onCircle(rng: Rng, r: number, std: number, z0: number, z1: number): [number, number] {
  const a = angle(rng);
  return [r * Math.cos(a) + std * z0, r * Math.sin(a) + std * z1];
}

const SAMPLERS: Record<ToyName, PointSampler> = {
  '8gaussians': (rng, z0, z1) => {
    // FFJORD divides by 1.414; √2 itself makes the per-axis variance exactly 0.25/2 = 1/8.
    const a = (pick(rng, 8) * Math.PI) / 4;
    return [(4 * Math.cos(a) + 0.5 * z0) / Math.SQRT2, (4 * Math.sin(a) + 0.5 * z1) / Math.SQRT2];
  },
  checkerboard: (rng) => {
    // Column c and row r of the 4x4 board index 2x2 squares from (-4, -4); the black ones have c + r even.
    const c = pick(rng, 4);
    const r = 2 * pick(rng, 2) + (c % 2);
    return [-4 + 2 * (c + rng.next()), -4 + 2 * (r + rng.next())];
  },
  moons: (rng, z0, z1) => {
    // sklearn's make_moons (unit radius, noise 0.1), then FFJORD's x2 and shift by (-1, -0.2).
    const t = Math.PI * rng.next();
    const [x, y] = rng.next() < 0.5 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
    return [2 * (x + 0.1 * z0) - 1, 2 * (y + 0.1 * z1) - 0.2];
  },
  rings: (rng, z0, z1) => onCircle(rng, 0.75 * (1 + pick(rng, 4)), 0.08, z0, z1),
  // sklearn's make_circles (factor 0.5, noise 0.08) scaled by 3: the noise scales with it.
  circles: (rng, z0, z1) => onCircle(rng, rng.next() < 0.5 ? 3 : 1.5, 0.24, z0, z1),
  swissroll: (rng, z0, z1) => {
    // sklearn's make_swiss_roll (noise 1) seen from its axis, divided by 5.
    const t = 1.5 * Math.PI * (1 + 2 * rng.next());
    return [(t * Math.cos(t) + z0) / 5, (t * Math.sin(t) + z1) / 5];
  },
  pinwheel: (rng, z0, z1) => {
    const radial = 1 + 0.3 * z0;
    const tangential = 0.1 * z1;
    // Negative: FFJORD's rotation matrices act on row vectors, so its arms curl clockwise.
    const a = -((2 * Math.PI * pick(rng, 5)) / 5 + 0.25 * Math.exp(radial));
    return [2 * (radial * Math.cos(a) - tangential * Math.sin(a)), 2 * (radial * Math.sin(a) + tangential * Math.cos(a))];
  },
  '2spirals': (rng, z0, z1) => {
    // θ = 3π√u (540° at most, as FFJORD's) has density ∝ θ, like the arm's length per radian, so
    // points spread evenly along the arm.
    const theta = 3 * Math.PI * Math.sqrt(rng.next());
    const sign = rng.next() < 0.5 ? 1 : -1;
    const x = -theta * Math.cos(theta) + 0.5 * rng.next();
    const y = theta * Math.sin(theta) + 0.5 * rng.next();
    return [(sign * x) / 3 + 0.1 * z0, (sign * y) / 3 + 0.1 * z1];
  },
  bimodal: (rng, z0) => [rng.next() < 0.3 ? -2 + 0.5 * z0 : 1.5 + 0.8 * z0],
};

/** `count` independent points of the named density: count*dim values, point by point. */
export function sampleToy(name: ToyName, count: number, rng: Rng): Float32Array {
  const { dim } = TOY_SPECS[name];
  const sample = SAMPLERS[name];
  // Normals drawn in one block first, so that each point's uniform draws follow in a fixed order.
  const normals = rng.fillNormal(new Float32Array(2 * count));
  const out = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) out.set(sample(rng, normals[2 * i], normals[2 * i + 1]), i * dim);
  return out;
}

export interface PointSplit {
  count: number;
  /** count*dim values, point by point, in random order. */
  points: Float32Array;
}

/** The training draw from the run's `seed`, and the test draw, always the same, from TOY_TEST_SEED. */
export function loadToyDataset(
  name: ToyName,
  seed = 0,
): { name: ToyName; dim: 1 | 2; train: PointSplit; test: PointSplit; extent: [number, number, number, number]; description: string } {
  const { dim, extent, description } = TOY_SPECS[name];
  const split = (count: number, rng: Rng): PointSplit => ({ count, points: sampleToy(name, count, rng) });
  return {
    name,
    dim,
    train: split(TOY_TRAIN_COUNT, new Rng(seed).fork(TRAIN_STREAM)),
    test: split(TOY_TEST_COUNT, new Rng(TOY_TEST_SEED).fork(TEST_STREAM)),
    extent: [...extent],
    description,
  };
}
