/** The native backend in a sentence, for `genlab native status` and the extension. */
import { type NativeInstall, NOT_INSTALLED } from './location';

const SOURCE = { upstream: "tfjs-node's own download", pypi: "TensorFlow's CPU wheel from the pip index" } as const;

export function describeInstall(install: NativeInstall): string {
  if (!install.ok) {
    const fix = install.problem === NOT_INSTALLED ? 'GenLab: Install Native Backend, or `genlab native install`, adds it' : 'GenLab: Install Native Backend, or `genlab native install`, replaces it';
    return `Native backend: ${install.problem} (${install.dir}). ${fix}; until then training uses wasm.`;
  }
  const { manifest: m, dir } = install;
  const checked = m.libtensorflow.sha256 ? `, sha256 ${m.libtensorflow.sha256.slice(0, 12)}… checked` : '';
  return [
    `Native backend: tfjs-node ${m.tfjsNode} with libtensorflow ${m.libtensorflow.version} from ${SOURCE[m.libtensorflow.source]}${checked}; the addon ${m.addon === 'built' ? 'built here' : 'prebuilt'}.`,
    `Installed ${m.installedAt.slice(0, 10)} with Node ${m.node} in ${dir} (${Math.round(m.bytes / 1e6)} MB). genlab.backend auto trains on it.`,
  ].join('\n');
}
