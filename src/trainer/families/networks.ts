/** Small networks the families share, built as layers models so they save in TensorFlow.js layers format. */
import * as tfl from '@tensorflow/tfjs-layers';

/** Dense layers of `sizes` (input first), ReLU between them and a linear output; Glorot-initialised from `seed`. */
export function mlp(name: string, sizes: number[], seed: number): tfl.Sequential {
  const model = tfl.sequential({ name });
  sizes.slice(1).forEach((units, i) => {
    const last = i === sizes.length - 2;
    model.add(
      tfl.layers.dense({
        units,
        inputShape: i === 0 ? [sizes[0]] : undefined,
        activation: last ? 'linear' : 'relu',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + i }),
        name: `${name}_dense${i}`,
      }),
    );
  });
  return model;
}
