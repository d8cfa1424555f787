#!/usr/bin/env python3
"""PyTorch references for GenLab's image models: one training step of the same network as GenLab's
defaults on MNIST-shaped random inputs. Prints one JSON line like torch_vae.py, whose interpreter
notes apply here too.

dcgan (z 64; batch 64): G = dense 64→7·7·64, ReLU, ConvT 64→32 (4x4, stride 2), ReLU, ConvT 32→1
(4x4, stride 2), sigmoid; D = Conv 1→32 (4x4, stride 2), LeakyReLU .2, Conv 32→64, LeakyReLU .2,
dense 3136→1; non-saturating losses; Adam 2e-4, betas (0.5, 0.999); a D step and a G step.
pixelcnn (binary 28x28; batch 32): 7x7 mask-A conv 1→C, R blocks of [ReLU, 3x3 mask-B conv C→C,
ReLU, 1x1 conv C→C] added to their input, ReLU, 1x1 C→C, ReLU, 1x1 C→1; Bernoulli NLL summed over
pixels, mean over the batch; Adam 1e-3.
ddpm (batch 64; C = 16): the denoiser U-Net, its time (a 16-value embedding) entering every block
as a per-channel bias from dense 16→4C (ReLU) then dense 4C→filters; blocks conv 3x3 (no bias) +
time bias, ReLU: C@28, 2C@14 (stride 2), 2C@14, 4C@7 (stride 2), 4C@7, ConvT 4x4/2 to 2C@14 + the
2C@14 maps, 2C@14, ConvT to C@28 + the first maps, C@28, then a linear 3x3 conv to the noise; MSE
against the noise; Adam 1e-3.
realnvp (batch 64): 8 affine couplings on the 784 values split into two checkerboard halves of
392, alternating; each an MLP 392→256→256→784 (ReLU) giving a raw log-scale s (bounded by
2·tanh(s/2)) and a shift t; NLL of a standard normal plus the log-scales; Adam 3e-3. The
dequantisation and logit of the batch (GenLab does them in JavaScript each step) are included.
"""
import argparse

from torch_vae import import_torch, print_result, time_steps


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", choices=["dcgan", "pixelcnn", "ddpm", "realnvp"])
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
    elif args.model == "ddpm":
        step, architecture = ddpm_step(torch, nn, F, b)
    elif args.model == "realnvp":
        step, architecture = realnvp_step(torch, nn, b)
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


def ddpm_step(torch, nn, F, b, c=16, embed=16):
    class Block(nn.Module):
        def __init__(self, cin, cout, kind):
            super().__init__()
            if kind == "up":
                self.conv = nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False)
            else:
                self.conv = nn.Conv2d(cin, cout, 3, 2 if kind == "down" else 1, 1, bias=False)
            self.bias = nn.Linear(4 * c, cout)

        def forward(self, h, time):
            return F.relu(self.conv(h) + self.bias(time)[:, :, None, None])

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.time = nn.Linear(embed, 4 * c)
            self.top = Block(1, c, "conv")
            self.down1, self.mid = Block(c, 2 * c, "down"), Block(2 * c, 2 * c, "conv")
            self.down2, self.low = Block(2 * c, 4 * c, "down"), Block(4 * c, 4 * c, "conv")
            self.up1, self.mid_up = Block(4 * c, 2 * c, "up"), Block(2 * c, 2 * c, "conv")
            self.up2, self.top_up = Block(2 * c, c, "up"), Block(c, c, "conv")
            self.out = nn.Conv2d(c, 1, 3, 1, 1)

        def forward(self, x, e):
            time = F.relu(self.time(e))
            top = self.top(x, time)
            half = self.mid(self.down1(top, time), time)
            quarter = self.low(self.down2(half, time), time)
            half_up = self.mid_up(self.up1(quarter, time) + half, time)
            top_up = self.top_up(self.up2(half_up, time) + top, time)
            return self.out(top_up).flatten(1)

    model = UNet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x0 = torch.rand(b, 1, 28, 28) * 2 - 1
    alpha_bar = torch.linspace(0.999, 0.01, 100)

    def step():
        t = torch.randint(0, 100, (b,))
        eps = torch.randn_like(x0)
        a = alpha_bar[t][:, None, None, None]
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * eps
        freqs = torch.exp(-torch.arange(embed // 2) / (embed // 2) * torch.log(torch.tensor(10000.0)))
        angles = (t[:, None].float() * 10) * freqs[None, :]
        e = torch.cat([angles.sin(), angles.cos()], 1)
        opt.zero_grad()
        F.mse_loss(model(x_t, e), eps.flatten(1)).backward()
        opt.step()

    return step, f"DDPM U-Net C={c} (28, 14, 7, 14, 28), time biases"


def realnvp_step(torch, nn, b, couplings=8, hidden=256, half=392, bound=2.0):
    nets = nn.ModuleList(
        nn.Sequential(nn.Linear(half, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 2 * half))
        for _ in range(couplings)
    )
    opt = torch.optim.Adam(nets.parameters(), lr=3e-3)
    images = torch.randint(0, 256, (b, 784)).float()
    alpha = 0.05

    def step():
        u = (images + torch.rand_like(images)) / 256
        p = alpha + (1 - 2 * alpha) * u
        y = torch.log(p) - torch.log1p(-p)
        halves = [y[:, 0::2], y[:, 1::2]]
        log_det = torch.zeros(b)
        for k, net in enumerate(nets):
            c = k % 2
            h = net(halves[c])
            s = bound * torch.tanh(h[:, :half] / bound)
            halves[1 - c] = halves[1 - c] * torch.exp(s) + h[:, half:]
            log_det = log_det + s.sum(1)
        nll = 0.5 * (halves[0].pow(2).sum(1) + halves[1].pow(2).sum(1)) - log_det
        opt.zero_grad()
        nll.mean().backward()
        opt.step()

    return step, f"RealNVP {couplings} couplings, MLP {half}-{hidden}-{hidden}-{2 * half}"


if __name__ == "__main__":
    main()
