/**
 * The native backend GenLab installs for the person (Install Native Backend, `genlab native
 * install`): tfjs-node in a per-user folder, described by the `native.json` written beside it. The
 * trainer reads it to load tfjs-node from there; the installer, the CLI and the extension to say
 * what is installed.
 */
import { documented, type Infer, num, object, oneOf, str } from './decode';

/** The TensorFlow.js release GenLab is built on; tfjs-node must be the same, since it shares tfjs-core's engine. */
export const TFJS_VERSION = '4.22.0';
/** The libtensorflow tfjs-node 4.22.0 is built against, and the one its own install downloads. */
export const UPSTREAM_LIBTENSORFLOW = '2.9.1';
/** The release of TensorFlow's wheels (tensorflow-cpu, tensorflow) whose libtensorflow_cc exports the whole C API without needing libpython (2.9.1's does not). */
export const WHEEL_TENSORFLOW = '2.15.1';

export const LIBTENSORFLOW_SOURCES = ['upstream', 'pypi'] as const;

/**
 * The two builds of tfjs-node: the CPU one, and the CUDA one (tfjs-node-gpu, the same addon against
 * a CUDA build of libtensorflow, which falls back on the CPU where no GPU and CUDA libraries are found).
 */
export const NATIVE_VARIANTS = ['cpu', 'gpu'] as const;
export type NativeVariant = (typeof NATIVE_VARIANTS)[number];
export const NATIVE_PACKAGES: Record<NativeVariant, string> = { cpu: '@tensorflow/tfjs-node', gpu: '@tensorflow/tfjs-node-gpu' };
/** The package's name without its scope (tfjs-node, tfjs-node-gpu): its install's folder, and how messages name it. */
export const nativePackageName = (variant: NativeVariant) => NATIVE_PACKAGES[variant].split('/')[1];
/** TensorFlow's wheels on the pip index: the CPU-only one, and the one built with CUDA (Linux). */
export const WHEEL_PROJECTS: Record<NativeVariant, string> = { cpu: 'tensorflow-cpu', gpu: 'tensorflow' };

export const nativeManifest = object({
  tfjsNode: documented(str({ nonEmpty: true }), "tfjs-node's version; GenLab loads it only when it equals its own TensorFlow.js."),
  libtensorflow: object(
    {
      version: str({ nonEmpty: true }),
      source: documented(oneOf(LIBTENSORFLOW_SOURCES), "upstream: tfjs-node's own download from Google's storage; pypi: TensorFlow's wheel from the pip index."),
      url: str({ nonEmpty: true }),
    },
    { sha256: documented(str(), 'Of the downloaded archive, checked against the index for pypi; upstream publishes none, so it is only recorded.') },
  ),
  /** How the N-API addon came: tfjs-node's prebuilt one, or built here with the C++ toolchain. */
  addon: oneOf(['prebuilt', 'built'] as const),
  node: documented(str(), 'The Node.js that installed it (the addon is N-API v8, so it serves Node 20, 22 and Electron alike).'),
  installedAt: str(),
  bytes: documented(num({ int: true, min: 0 }), 'Disk used by the installed folder.'),
});
export type NativeManifest = Infer<typeof nativeManifest>;
