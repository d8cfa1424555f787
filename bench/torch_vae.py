#!/usr/bin/env python3
"""PyTorch reference for GenLab's benchmark: one training step of the same MLP VAE as GenLab's
(784-400-2x20 encoder, 20-400-784 decoder with Bernoulli logits, BCE + KL summed over dimensions
and averaged over the batch, Adam lr 1e-3) on random binary inputs. Prints one JSON line.

Run with the interpreter that has torch (Debian's python3-torch installs for /usr/bin/python3).
With only libblas3 installed, torch runs the slow reference BLAS; `apt-get install
libopenblas0-pthread` switches it to OpenBLAS, the fair reference.
"""
import argparse
import json
import os
import platform
import re
import statistics
import sys
import time

# Exit status that tells the caller torch itself is missing, as opposed to the script failing.
EXIT_NO_TORCH = 3


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=60, help="timed steps")
    p.add_argument("--warmup", type=int, default=10, help="untimed steps first")
    p.add_argument("--threads", type=int, default=1)
    return p.parse_args()


def loaded_blas():
    """The BLAS library this process actually mapped, and OpenBLAS's own build description."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "libblas" in line or "libopenblas" in line}
    if not paths:
        return "no libblas mapped"
    path = sorted(paths)[0]
    try:
        import ctypes

        lib = ctypes.CDLL(path)
        lib.openblas_get_config.restype = ctypes.c_char_p
        return f"{path} ({lib.openblas_get_config().decode().strip()})"
    except (OSError, AttributeError):
        return path


def import_torch(threads):
    """torch on `threads` threads, or exit with EXIT_NO_TORCH when it cannot be imported."""
    # OpenBLAS and OpenMP read these once, when torch loads them: set before the import.
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(threads))
    try:
        import torch
    except ImportError as err:
        print(f"{sys.executable} cannot import torch ({err})", file=sys.stderr)
        sys.exit(EXIT_NO_TORCH)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    return torch


def time_steps(step, warmup, steps):
    """Wall times of `steps` calls of step() in ms, after `warmup` untimed ones."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append((time.perf_counter() - t) * 1000)
    return times


def print_result(torch, times, **extra):
    """The one JSON line the benchmark reads (bench/torchReference.ts)."""
    blas_info = re.search(r"BLAS_INFO=[^,\s]*", torch.__config__.show())
    print(json.dumps({
        "msPerStep": statistics.median(times),
        "stepsTimed": len(times),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": f"torch {blas_info.group(0) if blas_info else 'BLAS_INFO unknown'}; libblas: {loaded_blas()}",
        "python": platform.python_version(),
        **extra,
    }))


def main():
    args = parse_args()
    torch = import_torch(args.threads)
    import torch.nn.functional as F
    from torch import nn

    class Vae(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(784, 400)
            self.mean = nn.Linear(400, 20)
            self.log_var = nn.Linear(400, 20)
            self.dec_hidden = nn.Linear(20, 400)
            self.dec_out = nn.Linear(400, 784)

        def forward(self, x):
            h = F.relu(self.hidden(x))
            mean, log_var = self.mean(h), self.log_var(h)
            z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
            return self.dec_out(F.relu(self.dec_hidden(z))), mean, log_var

    model = Vae()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = (torch.rand(args.batch, 784) < 0.5).float()

    def step():
        opt.zero_grad()
        logits, mean, log_var = model(x)
        rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
        kl = -0.5 * torch.sum(1 + log_var - mean.pow(2) - log_var.exp())
        ((rec + kl) / args.batch).backward()
        opt.step()

    print_result(torch, time_steps(step, args.warmup, args.steps))


if __name__ == "__main__":
    main()
