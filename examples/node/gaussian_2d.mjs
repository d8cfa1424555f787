// A full-covariance Gaussian fitted to two moons by gradient descent on its exact negative
// log-likelihood, in TensorFlow.js, logged into GenLab with its log-density as the density view:
//
//   npm run build && node examples/node/gaussian_2d.mjs [steps]
//
// In your own project: npm install <a GenLab clone> and @tensorflow/tfjs (or -node), then
// `import { init, gridPoints } from 'genlab/log'` as below.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-layers registers the gradients of core's ops, which optimizer.minimize needs (the @tensorflow/tfjs package does this too).
import '@tensorflow/tfjs-layers';
import { gridPoints, init } from 'genlab/log';

const steps = Number(process.argv[2] ?? 600);
const LOG_2PI = Math.log(2 * Math.PI);

// GenLab's "moons": sklearn's make_moons (noise 0.1), doubled and moved by (-1, -0.2).
function moons(n) {
  const gauss = () => Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
  return Array.from({ length: n }, () => {
    const t = Math.PI * Math.random();
    const [x, y] = Math.random() < 0.5 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
    return [2 * (x + 0.1 * gauss()) - 1, 2 * (y + 0.1 * gauss()) - 0.2];
  });
}

const train = tf.tensor2d(moons(4000));
const testPoints = moons(1000);
const test = tf.tensor2d(testPoints);
// x = mean + L z with L lower triangular (its diagonal kept positive through exp).
const mean = tf.variable(tf.zeros([2]));
const logDiag = tf.variable(tf.zeros([2]));
const offDiag = tf.variable(tf.zeros([1]));
const optimizer = tf.train.adam(0.05);

/** log N(x | mean, L Lᵀ), per point (tfjs-core's functional ops: the chained ones need all of tfjs). */
const logProb = (x) =>
  tf.tidy(() => {
    const [l11, l22] = tf.unstack(tf.exp(logDiag));
    const [dx, dy] = tf.unstack(tf.sub(x, mean), 1);
    const z1 = tf.div(dx, l11);
    const z2 = tf.div(tf.sub(dy, tf.mul(offDiag, z1)), l22);
    return tf.sub(tf.sub(tf.mul(tf.add(tf.square(z1), tf.square(z2)), -0.5), tf.sum(logDiag)), LOG_2PI);
  });

/** n points drawn from the Gaussian: mean + L z. */
const draw = (n) =>
  tf.tidy(() => {
    const [z1, z2] = tf.unstack(tf.randomNormal([n, 2]), 1);
    const [l11, l22] = tf.unstack(tf.exp(logDiag));
    return tf.add(tf.stack([tf.mul(z1, l11), tf.add(tf.mul(z1, offDiag), tf.mul(z2, l22))], 1), mean);
  });

const nll = (x) => tf.neg(tf.mean(logProb(x)));

const extent = [-4, 4, -4, 4];
const run = init({ name: 'tfjs Gaussian', family: 'gaussian', dataset: 'moons', config: { lr: 0.05, steps }, steps, score: 'testNll', scoreKind: 'exact', backend: `TensorFlow.js ${tf.version_core} (cpu)` });
for (let step = 1; step <= steps; step++) {
  const loss = optimizer.minimize(() => nll(train), true);
  run.log(step, { nll: loss.dataSync()[0] });
  loss.dispose();
  if (step % 50 === 0 || step === steps) {
    const testNll = tf.tidy(() => nll(test).dataSync()[0]);
    run.eval(step, { testNll });
    const grid = tf.tensor2d(gridPoints(extent));
    const field = logProb(grid);
    const drawn = draw(500);
    run.density(step, { values: { shape: [64, 64], data: field.dataSync() }, extent, samples: drawn, test: testPoints });
    tf.dispose([grid, field, drawn]);
  }
}
run.finish();
console.log(`GenLab run: ${run.dir}`);
