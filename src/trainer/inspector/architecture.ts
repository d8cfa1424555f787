import type * as tfl from '@tensorflow/tfjs-layers';
import type { Architecture, NetworkSummary } from '../../protocol/inspector';

/** The networks' layers, shapes and parameter counts, for the Model tab. */
export function describeArchitecture(networks: Record<string, tfl.LayersModel>): Architecture {
  const summaries: NetworkSummary[] = Object.entries(networks).map(([name, network]) => {
    const layers = network.layers.map((layer) => ({
      name: layer.name,
      className: layer.getClassName(),
      outputShape: JSON.stringify(layer.outputShape),
      parameters: layer.countParams(),
    }));
    return { name, layers, parameters: layers.reduce((sum, l) => sum + l.parameters, 0) };
  });
  return { networks: summaries, parameters: summaries.reduce((sum, n) => sum + n.parameters, 0) };
}
