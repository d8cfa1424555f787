/**
 * Runs the PyTorch reference scripts in bench/ (torch_vae.py for the MNIST VAE, torch_models.py for
 * the DCGAN, the PixelCNN, the DDPM U-Net and RealNVP on MNIST): the same training steps in PyTorch,
 * the yardstick GenLab's own step times are compared against. Missing Python or torch is an
 * expected state on most machines, so it is reported as `unavailable` with the fix rather than thrown.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export interface TorchResult {
  /** Median wall time of one training step. */
  msPerStep: number;
  stepsTimed: number;
  torch: string;
  threads: number;
  /** torch's BLAS build setting and the BLAS library actually loaded. */
  blas: string;
  python: string;
}

export type TorchModel = 'vae' | 'dcgan' | 'pixelcnn' | 'ddpm' | 'realnvp';

const INSTALL_FIX = 'sudo apt-get install python3-torch libopenblas0-pthread';
// Debian's python3-torch installs for Debian's interpreter; the python3 first on PATH may be another.
const DEFAULT_PYTHON = '/usr/bin/python3';
// The script's exit status when torch cannot be imported (see EXIT_NO_TORCH there).
const EXIT_NO_TORCH = 3;
const TIMEOUT_MS = 10 * 60 * 1000;

// From bench/ (run from source) and from dist/ (bundled into dist/bench.js) alike, the script
// sits in the repository's bench folder.
const BENCH = resolve(__dirname, '..', 'bench');

/** One training step of `model`, GenLab's default architecture for it, at `batch` on `threads` threads. */
export function torchModelStep(model: TorchModel, batch: number, threads: number): Promise<TorchResult | { unavailable: string }> {
  return model === 'vae' ? torchStep('torch_vae.py', ['--batch', String(batch)], threads) : torchStep('torch_models.py', [model, '--batch', String(batch)], threads);
}

async function torchStep(script: string, scriptArgs: string[], threads: number): Promise<TorchResult | { unavailable: string }> {
  const SCRIPT = resolve(BENCH, script);
  const python = process.env.GENLAB_TORCH_PYTHON || DEFAULT_PYTHON;
  if (!existsSync(SCRIPT)) throw new Error(`The PyTorch reference script is missing: expected it at ${SCRIPT}`);
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
  // A core type or cache size forced for another CPU makes OpenBLAS pick slower kernels; let it
  // detect this one, as it would on a user's machine.
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const args = [SCRIPT, ...scriptArgs, '--threads', String(threads)];

  return new Promise((done, fail) => {
    execFile(python, args, { env, timeout: TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          done({ unavailable: `${python} not found: install Python with torch (${INSTALL_FIX}) or set GENLAB_TORCH_PYTHON to an interpreter that has torch` });
        } else if (err.code === EXIT_NO_TORCH) {
          done({ unavailable: `${stderr.trim()}: install it (${INSTALL_FIX}) or set GENLAB_TORCH_PYTHON to an interpreter that has torch` });
        } else if (err.killed) {
          fail(new Error(`${python} ${args.join(' ')} did not finish within ${TIMEOUT_MS / 60000} minutes`));
        } else {
          fail(new Error(`${python} ${args.join(' ')} failed (${err.signal ?? `exit ${err.code}`}): ${stderr.trim()}`));
        }
        return;
      }
      try {
        done(parseResult(stdout));
      } catch (parseErr) {
        fail(new Error(`${script} printed an unexpected result (${(parseErr as Error).message}): ${stdout.trim()}`));
      }
    });
  });
}

function parseResult(stdout: string): TorchResult {
  const lines = stdout.trim().split('\n');
  const r = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
  const numbers = ['msPerStep', 'stepsTimed', 'threads'] as const;
  const strings = ['torch', 'blas', 'python'] as const;
  for (const k of numbers) if (typeof r[k] !== 'number') throw new Error(`${k} is not a number`);
  for (const k of strings) if (typeof r[k] !== 'string') throw new Error(`${k} is not a string`);
  return r as unknown as TorchResult;
}
