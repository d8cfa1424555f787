"""A Gaussian mixture fitted by EM to two moons, in numpy alone, logged into GenLab with its
exact log-density as the density view:

    python3 examples/python/mixture_2d.py [--components 12] [--iterations 200]

Needs numpy and GenLab's Python logger (pip install ./python, or PYTHONPATH=python).
"""
import argparse, sys

try:
    import numpy as np
except ImportError:
    sys.exit("This example needs numpy (Debian: apt install python3-numpy)")
import genlab

parser = argparse.ArgumentParser()
parser.add_argument("--components", type=int, default=12)
parser.add_argument("--iterations", type=int, default=200)
args = parser.parse_args()
rng = np.random.default_rng(0)


def moons(n):
    """GenLab's "moons" (src/trainer/data/toy.ts): sklearn's make_moons with noise 0.1, doubled and moved by (-1, -0.2)."""
    t = rng.uniform(0, np.pi, n)
    upper = rng.random(n) < 0.5
    x = np.where(upper, np.cos(t), 1 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    return 2 * (np.stack([x, y], 1) + rng.normal(0, 0.1, (n, 2))) - np.array([1.0, 0.2])


def log_components(x, means, covs, weights):
    """log w_k + log N(x | mean_k, cov_k), one column per component."""
    diff = x[:, None, :] - means[None]
    inv = np.linalg.inv(covs)
    mahalanobis = np.einsum("nki,kij,nkj->nk", diff, inv, diff)
    return np.log(weights) - 0.5 * (mahalanobis + np.log(np.linalg.det(covs)) + 2 * np.log(2 * np.pi))


def log_density(x, *params):
    parts = log_components(x, *params)
    top = parts.max(1, keepdims=True)
    return (top + np.log(np.exp(parts - top).sum(1, keepdims=True)))[:, 0]


train, test = moons(4000), moons(1000)
k = args.components
means = train[rng.choice(len(train), k, replace=False)]
covs = np.repeat(np.eye(2)[None] * 0.5, k, 0)
weights = np.full(k, 1 / k)
extent = (-4.0, 4.0, -4.0, 4.0)  # as GenLab draws its toy densities

with genlab.init(name=f"numpy EM, {k} components", family="mixture", dataset="moons", config={"components": k}, steps=args.iterations, score="test_nll", score_kind="exact") as run:
    for it in range(1, args.iterations + 1):
        parts = log_components(train, means, covs, weights)
        resp = np.exp(parts - parts.max(1, keepdims=True))
        resp /= resp.sum(1, keepdims=True)
        mass = resp.sum(0) + 1e-9
        weights = mass / len(train)
        means = resp.T @ train / mass[:, None]
        diff = train[:, None, :] - means[None]
        covs = np.einsum("nk,nki,nkj->kij", resp, diff, diff) / mass[:, None, None] + 1e-6 * np.eye(2)
        run.log(it, nll=-log_density(train, means, covs, weights).mean())
        if it % 20 == 0 or it == args.iterations:
            run.eval(it, test_nll=-log_density(test, means, covs, weights).mean())
            field = log_density(genlab.grid_points(extent), means, covs, weights).reshape(64, 64)
            picks = rng.choice(k, 500, p=weights)
            drawn = np.array([rng.multivariate_normal(means[c], covs[c]) for c in picks])
            run.density(it, values=field, extent=extent, samples=drawn, test=test)
print(f"GenLab run: {run.dir}")
