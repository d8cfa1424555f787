import { IMAGE_DATASETS } from '../datasets';
import { num, object } from '../decode';
import { familySpec } from './spec';

export const pixelcnnSpec = familySpec({
  title: 'PixelCNN (autoregressive)',
  shortTitle: 'PixelCNN',
  command: 'genlab.trainPixelCnn',
  lossKey: 'nll',
  density: {
    kind: 'explicit-tractable',
    metric: 'testNll',
    summary: 'Explicit, tractable density: a fully visible belief net, log p(x) = sum_i log p(x_i | x_<i) over the pixels in raster order, each conditional from masked convolutions, so the test NLL is exact.',
  },
  datasets: IMAGE_DATASETS,
  defaultDataset: 'mnist',
  defaults: { images: { budget: { epochs: 1 }, batchSize: 64, evalEvery: 300, model: { channels: 32, residualBlocks: 5 } } },
  options: object({
    channels: num({ int: true, min: 1, max: 512 }),
    residualBlocks: num({ int: true, min: 0, max: 32 }),
  }),
  fields: [
    { key: 'channels', flag: 'channels', label: 'Channels', prompt: 'Feature maps per masked convolution' },
    { key: 'residualBlocks', flag: 'blocks', label: 'Residual blocks', prompt: 'Residual masked-convolution blocks after the first (mask A) layer' },
  ],
});
