#!/usr/bin/env python3
"""PyTorch references for GenLab's conv families: one training step of the same DCGAN (a
discriminator step and a generator step) or the same PixelCNN as GenLab's defaults, on random
inputs. Prints one JSON line like torch_vae.py, whose interpreter notes apply here too.

DCGAN (z 64; batch from --batch, 64 by default): G = dense 64→7·7·64, ReLU, ConvT 64→32 (4x4, stride 2), ReLU, ConvT 32→1
(4x4, stride 2), sigmoid; D = Conv 1→32 (4x4, stride 2), LeakyReLU .2, Conv 32→64, LeakyReLU .2,
dense 3136→1; non-saturating losses; Adam 2e-4, betas (0.5, 0.999).
PixelCNN (binary 28x28): 7x7 mask-A conv 1→C, R blocks of [ReLU, 3x3 mask-B conv C→C,
ReLU, 1x1 conv C→C] added to their input, ReLU, 1x1 C→C, ReLU, 1x1 C→1; Bernoulli NLL summed over
pixels, mean over the batch; Adam 1e-3.
"""
import argparse

from torch_vae import import_torch, print_result, time_steps


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", choices=["dcgan", "pixelcnn"])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--channels", type=int, default=32, help="PixelCNN channels C")
    p.add_argument("--blocks", type=int, default=5, help="PixelCNN residual blocks R")
    p.add_argument("--steps", type=int, default=20, help="timed steps")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    return p.parse_args()


def main():
    args = parse_args()
    torch = import_torch(args.threads)
    import torch.nn.functional as F
    from torch import nn
    b = args.batch

    if args.model == "dcgan":
        gen = nn.Sequential(
            nn.Linear(64, 7 * 7 * 64), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
            nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(),
            nn.ConvTranspose2d(32, 1, 4, 2, 1), nn.Sigmoid(),
        )
        disc = nn.Sequential(
            nn.Conv2d(1, 32, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(32, 64, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 1),
        )
        opt_g = torch.optim.Adam(gen.parameters(), lr=2e-4, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(disc.parameters(), lr=2e-4, betas=(0.5, 0.999))
        real = torch.rand(b, 1, 28, 28)

        def step():
            opt_d.zero_grad()
            fake = gen(torch.randn(b, 64)).detach()
            (F.softplus(-disc(real)).mean() + F.softplus(disc(fake)).mean()).backward()
            opt_d.step()
            opt_g.zero_grad()
            F.softplus(-disc(gen(torch.randn(b, 64)))).mean().backward()
            opt_g.step()

        architecture = "DCGAN 64-7x7x64-14x14x32-28x28x1 / 28x28-14x14x32-7x7x64-1"
    else:
        c = args.channels

        class Masked(nn.Conv2d):
            def __init__(self, cin, cout, k, kind):
                super().__init__(cin, cout, k, padding=k // 2)
                mask = torch.ones_like(self.weight)
                mask[:, :, k // 2, k // 2 + (kind == "B"):] = 0
                mask[:, :, k // 2 + 1:] = 0
                self.register_buffer("mask", mask)

            def forward(self, x):
                return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)

        class PixelCnn(nn.Module):
            def __init__(self):
                super().__init__()
                self.first = Masked(1, c, 7, "A")
                self.blocks = nn.ModuleList(nn.ModuleList([Masked(c, c, 3, "B"), nn.Conv2d(c, c, 1)]) for _ in range(args.blocks))
                self.head = nn.Sequential(nn.ReLU(), nn.Conv2d(c, c, 1), nn.ReLU(), nn.Conv2d(c, 1, 1))

            def forward(self, x):
                h = self.first(x)
                for masked, mix in self.blocks:
                    h = h + mix(F.relu(masked(F.relu(h))))
                return self.head(h)

        model = PixelCnn()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        x = (torch.rand(b, 1, 28, 28) < 0.5).float()

        def step():
            opt.zero_grad()
            (F.binary_cross_entropy_with_logits(model(x), x, reduction="sum") / b).backward()
            opt.step()

        architecture = f"PixelCNN C={c}, {args.blocks} residual blocks"

    print_result(torch, time_steps(step, args.warmup, args.steps), architecture=architecture)


if __name__ == "__main__":
    main()
