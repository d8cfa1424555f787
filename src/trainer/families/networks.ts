/** Small networks the families share, built as layers models so they save in TensorFlow.js layers format. */
import * as tfl from '@tensorflow/tfjs-layers';

/** How one dense layer starts: its kernel's and bias's initialisers (tfjs's defaults where left out). */
export type LayerInit = Pick<Parameters<typeof tfl.layers.dense>[0], 'kernelInitializer' | 'biasInitializer'>;

/**
 * Dense layers of `sizes` (input first), ReLU between them and a linear output, named
 * `<name>_dense<i>`. Layer i is Glorot-initialised from seed + i unless `init` says otherwise.
 */
export function mlp(name: string, sizes: number[], seed: number, init?: (i: number, last: boolean) => LayerInit): tfl.Sequential {
  const model = tfl.sequential({ name });
  sizes.slice(1).forEach((units, i) => {
    const last = i === sizes.length - 2;
    model.add(
      tfl.layers.dense({
        units,
        inputShape: i === 0 ? [sizes[0]] : undefined,
        activation: last ? 'linear' : 'relu',
        ...(init ? init(i, last) : { kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + i }) }),
        name: `${name}_dense${i}`,
      }),
    );
  });
  return model;
}
