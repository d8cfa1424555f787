/** The native backend in a sentence, for `genlab native status` and the extension. */
import { nativePackageName } from '../../protocol/native';
import { type NativeInstall, NOT_INSTALLED } from './location';

const SOURCE = { upstream: "tfjs-node's own download", pypi: "TensorFlow's wheel from the pip index" } as const;

export function describeInstall(install: NativeInstall): string {
  const name = nativePackageName(install.variant);
  const command = `GenLab: Install Native Backend, or \`genlab native install${install.variant === 'gpu' ? ' --gpu' : ''}\``;
  if (!install.ok) {
    const fix = install.problem === NOT_INSTALLED ? `${command}, adds it` : `${command}, replaces it`;
    return `Native backend (${name}): ${install.problem} (${install.dir}). ${fix}; until then training uses ${install.variant === 'gpu' ? 'tfjs-node where installed, else ' : ''}wasm.`;
  }
  const { manifest: m, dir } = install;
  const checked = m.libtensorflow.sha256 ? `, sha256 ${m.libtensorflow.sha256.slice(0, 12)}… checked` : '';
  return [
    `Native backend: ${name} ${m.tfjsNode} with libtensorflow ${m.libtensorflow.version} from ${SOURCE[m.libtensorflow.source]}${checked}; the addon ${m.addon === 'built' ? 'built here' : 'prebuilt'}.`,
    `Installed ${m.installedAt.slice(0, 10)} with Node ${m.node} in ${dir} (${Math.round(m.bytes / 1e6)} MB). genlab.backend auto trains on it${install.variant === 'gpu' ? ' (on a GPU where TensorFlow finds one and its CUDA libraries, else on the CPU)' : ''}.`,
  ].join('\n');
}
