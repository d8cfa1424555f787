"""GenLab's models in your own Python code: genlab.load(run or export folder) returns the trained
model with sample(n) and, where its family has one, log_prob(x), computed with numpy from the
files GenLab writes (TensorFlow.js layers models, flow.json, diffusion.json, PixelCNN's, the
Gaussian's and the mixture's JSON)."""

import json
import math
import os
import re

try:  # pragma: no cover - depends on the environment
    import numpy as np
except ImportError:  # pragma: no cover
    np = None

LOG_2PI = math.log(2 * math.pi)
ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh if np is not None else None,
}


def _weights(folder, manifest):
    """The tensors of a TensorFlow.js weights manifest, by name (float32 little-endian, in order)."""
    data = b"".join(open(os.path.join(folder, p), "rb").read() for group in manifest for p in group["paths"])
    weights, offset = {}, 0
    for entry in (w for group in manifest for w in group["weights"]):
        count = math.prod(entry["shape"])
        weights[entry["name"]] = np.frombuffer(data, "<f4", count, offset).reshape(entry["shape"]).astype(np.float64)
        offset += 4 * count
    return weights


def _conv_same(x, kernel, bias, stride=1):
    """TensorFlow's conv2d with "same" padding: x N x H x W x C, kernel H x W x in x out."""
    kh, kw = kernel.shape[:2]
    n, h, w, _ = x.shape
    out_h, out_w = -(-h // stride), -(-w // stride)
    pad_h, pad_w = max((out_h - 1) * stride + kh - h, 0), max((out_w - 1) * stride + kw - w, 0)
    padded = np.pad(x, ((0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)))
    out = np.zeros((n, out_h, out_w, kernel.shape[3]))
    for a in range(kh):
        for b in range(kw):
            out += padded[:, a:a + stride * out_h:stride, b:b + stride * out_w:stride, :] @ kernel[a, b]
    return out + bias


def _conv_transpose_same(x, kernel, bias, stride):
    """TensorFlow's conv2d_transpose with "same" padding: kernel H x W x out x in, output stride times the input."""
    kh, kw = kernel.shape[:2]
    n, h, w, _ = x.shape
    full = np.zeros((n, (h - 1) * stride + kh, (w - 1) * stride + kw, kernel.shape[2]))
    for a in range(kh):
        for b in range(kw):
            full[:, a:a + stride * h:stride, b:b + stride * w:stride, :] += x @ kernel[a, b].T
    top, left = (full.shape[1] - h * stride) // 2, (full.shape[2] - w * stride) // 2
    return full[:, top:top + h * stride, left:left + w * stride, :] + bias


def _layer(kind, config, weights, folder):
    """One layer of a layers model as a function of its input batches."""
    name = config.get("name")
    activation = ACTIVATIONS.get(config.get("activation", "linear"))
    if activation is None:
        raise NotImplementedError(f"{folder}: the activation {config['activation']!r}")
    kernel, bias = weights.get(f"{name}/kernel"), weights.get(f"{name}/bias", 0)
    if kind == "Dense":
        return lambda h: activation(h @ kernel + bias)
    if kind == "Conv2D":
        return lambda h: activation(_conv_same(h, kernel, bias, config["strides"][0]))
    if kind == "Conv2DTranspose":
        return lambda h: activation(_conv_transpose_same(h, kernel, bias, config["strides"][0]))
    if kind == "Reshape":
        return lambda h: h.reshape((len(h),) + tuple(config["target_shape"]))
    if kind == "Flatten":
        return lambda h: h.reshape(len(h), -1)
    if kind == "ReLU":
        return ACTIVATIONS["relu"]
    if kind == "LeakyReLU":
        return lambda h: np.where(h > 0, h, config.get("alpha", 0.3) * h)
    if kind == "Add":
        return lambda first, *rest: sum(rest, first)
    raise NotImplementedError(f"{folder}: a {kind} layer, which this genlab.load does not read")


def _sequential(config, weights, folder):
    """A Sequential model as a function of a batch; `inputs` is the size of its input rows."""
    configs = config["layers"]
    layers = [_layer(layer["class_name"], layer["config"], weights, folder) for layer in configs]

    def apply(x):
        h = np.asarray(x, np.float64)
        for layer in layers:
            h = layer(h)
        return h

    first = configs[0]["config"]
    apply.inputs = first.get("batch_input_shape", [None, weights[f"{first['name']}/kernel"].shape[0]])[1]
    return apply


def _functional(config, weights, folder):
    """A functional model (a graph of layers, each called once) as a function of its inputs, in their declared order."""
    specs = {layer["name"]: layer for layer in config["layers"]}
    calls = {}
    for name, layer in specs.items():
        if layer["class_name"] == "InputLayer":
            continue
        if len(layer["inbound_nodes"]) != 1:
            raise NotImplementedError(f"{folder}: the layer {name} is called more than once, which this genlab.load does not read")
        calls[name] = (_layer(layer["class_name"], layer["config"], weights, folder), [node[0] for node in layer["inbound_nodes"][0]])
    inputs = [name for name, *_ in config["input_layers"]]
    outputs = [name for name, *_ in config["output_layers"]]

    def apply(*xs):
        if len(xs) != len(inputs):
            raise ValueError(f"the model takes {len(inputs)} inputs ({', '.join(inputs)}), not {len(xs)}")
        values = {name: np.asarray(x, np.float64) for name, x in zip(inputs, xs)}
        for name in outputs:
            _evaluate(name, calls, values)
        results = [values[name] for name in outputs]
        return results[0] if len(results) == 1 else results

    return apply


def _evaluate(name, calls, values):
    """The value of layer `name`, computing its inputs first (iteratively: U-Nets are deep graphs)."""
    pending = [name]
    while pending:
        top = pending[-1]
        if top in values:
            pending.pop()
            continue
        layer, sources = calls[top]
        missing = [s for s in sources if s not in values]
        if missing:
            pending.extend(missing)
        else:
            values[top] = layer(*(values[s] for s in sources))
            pending.pop()


def _layers_model(folder):
    """A TensorFlow.js layers model (GenLab's MLPs and DCGAN networks, the diffusion U-Net) as a function of its inputs."""
    with open(os.path.join(folder, "model.json"), encoding="utf-8") as f:
        spec = json.load(f)
    topology = spec["modelTopology"]
    topology = topology.get("model_config", topology)
    weights = _weights(folder, spec["weightsManifest"])
    if topology["class_name"] == "Sequential":
        return _sequential(topology["config"], weights, folder)
    if topology["class_name"] in ("Model", "Functional"):
        return _functional(topology["config"], weights, folder)
    raise NotImplementedError(f"{folder}: a {topology['class_name']} model, which this genlab.load does not read")


def _normal_log_prob(z):
    return -0.5 * (z * z).sum(1) - 0.5 * z.shape[1] * LOG_2PI


class Gaussian:
    """The maximum-likelihood Gaussian: exact log p(x)."""

    def __init__(self, spec):
        self.mean = np.asarray(spec["mean"], np.float64)
        self.covariance = np.asarray(spec["covariance"], np.float64).reshape(len(self.mean), len(self.mean))
        self._chol = np.linalg.cholesky(self.covariance)

    def log_prob(self, x):
        d = np.atleast_2d(np.asarray(x, np.float64)) - self.mean
        z = np.linalg.solve(self._chol, d.T).T
        return _normal_log_prob(z) - np.log(np.diag(self._chol)).sum()

    def sample(self, n, rng=None):
        rng = rng or np.random.default_rng()
        return self.mean + rng.standard_normal((n, len(self.mean))) @ self._chol.T


class Mixture:
    """The Gaussian mixture fitted by EM: exact log p(x)."""

    def __init__(self, spec):
        self.weights = np.asarray(spec["weights"], np.float64)
        self.parts = [Gaussian({"mean": m, "covariance": c}) for m, c in zip(spec["means"], spec["covariances"])]

    def log_prob(self, x):
        logs = np.stack([np.log(w) + g.log_prob(x) for w, g in zip(self.weights, self.parts)], 1)
        top = logs.max(1, keepdims=True)
        return (top + np.log(np.exp(logs - top).sum(1, keepdims=True)))[:, 0]

    def sample(self, n, rng=None):
        rng = rng or np.random.default_rng()
        picks = rng.choice(len(self.weights), n, p=self.weights / self.weights.sum())
        return np.stack([self.parts[k].sample(1, rng)[0] for k in picks])


class RealNVP:
    """RealNVP on points: exact log p(x) through its affine couplings (flow.json spells out the map)."""

    def __init__(self, folder, spec):
        self.mean = np.asarray(spec["standardise"]["mean"], np.float64)
        self.std = np.asarray(spec["standardise"]["std"], np.float64)
        self.bound = spec["scaleBound"]
        self.couplings = [(_layers_model(os.path.join(folder, os.path.dirname(c["model"]))), c["conditionOn"], c["transform"]) for c in spec["couplings"]]

    def _scale_shift(self, model, u, on):
        h = model(u[:, [on]])
        return self.bound * np.tanh(h[:, 0] / self.bound), h[:, 1]

    def log_prob(self, x):
        u = (np.atleast_2d(np.asarray(x, np.float64)) - self.mean) / self.std
        total = np.zeros(len(u))
        for model, on, moved in self.couplings:
            s, t = self._scale_shift(model, u, on)
            u[:, moved] = u[:, moved] * np.exp(s) + t
            total += s
        return _normal_log_prob(u) + total - np.log(self.std).sum()

    def sample(self, n, rng=None):
        rng = rng or np.random.default_rng()
        u = rng.standard_normal((n, len(self.mean)))
        for model, on, moved in reversed(self.couplings):
            s, t = self._scale_shift(model, u, on)
            u[:, moved] = (u[:, moved] - t) * np.exp(-s)
        return u * self.std + self.mean


class RealNVPImages:
    """
    RealNVP on images: the density of dequantised 8-bit values (flow.json spells out the map).
    log_prob takes 8-bit values (0-255, N x D or N x H x W [x C]) and gives log p on [0, 256)^D,
    with the dequantisation noise drawn from `rng`, as GenLab's test NLL is computed.
    """

    def __init__(self, folder, spec):
        self.alpha = spec["alpha"]
        self.mean = np.asarray(spec["standardise"]["mean"], np.float64)
        self.std = np.asarray(spec["standardise"]["std"], np.float64)
        self.bound = spec["scaleBound"]
        self.halves = [np.asarray(h) for h in spec["halves"]]
        self.shape = tuple(spec["imageSize"]) + ((spec["channels"],) if spec["channels"] > 1 else ())
        self.couplings = [(_layers_model(os.path.join(folder, os.path.dirname(c["model"]))), c["conditionOn"], c["transform"]) for c in spec["couplings"]]

    def _scale_shift(self, model, y, on):
        h = model(y[:, self.halves[on]])
        half = h.shape[1] // 2
        return self.bound * np.tanh(h[:, :half] / self.bound), h[:, half:]

    def log_prob(self, x, rng=None):
        rng = rng or np.random.default_rng()
        x = np.asarray(x, np.float64).reshape(len(x), -1)
        u = (x + rng.random(x.shape)) / 256
        p = self.alpha + (1 - 2 * self.alpha) * u
        y = (np.log(p) - np.log1p(-p) - self.mean) / self.std
        total = np.log((1 - 2 * self.alpha) / (p * (1 - p))).sum(1) - np.log(self.std).sum()
        for model, on, moved in self.couplings:
            s, t = self._scale_shift(model, y, on)
            y[:, self.halves[moved]] = y[:, self.halves[moved]] * np.exp(s) + t
            total += s.sum(1)
        return _normal_log_prob(y) + total - x.shape[1] * math.log(256)

    def sample(self, n, rng=None):
        """Images in [0, 1], n x H x W (x C)."""
        rng = rng or np.random.default_rng()
        y = rng.standard_normal((n, len(self.mean)))
        for model, on, moved in reversed(self.couplings):
            s, t = self._scale_shift(model, y, on)
            y[:, self.halves[moved]] = (y[:, self.halves[moved]] - t) * np.exp(-s)
        u = (1 / (1 + np.exp(-(y * self.std + self.mean))) - self.alpha) / (1 - 2 * self.alpha)
        return np.clip(u, 0, 1).reshape((n,) + self.shape)


class VAE:
    """The VAE: samples decoded from the prior, and the ELBO, a lower bound on log p(x) (no exact log_prob)."""

    def __init__(self, folder):
        self.encoder = _layers_model(os.path.join(folder, "encoder"))
        self.decoder = _layers_model(os.path.join(folder, "decoder"))
        self.latent_dim = self.decoder.inputs
        standardisation = os.path.join(folder, "standardisation.json")
        self.points = os.path.exists(standardisation)
        if self.points:
            with open(standardisation, encoding="utf-8") as f:
                spec = json.load(f)
            self.mean, self.std = np.asarray(spec["mean"]), np.asarray(spec["std"])

    def sample(self, n, rng=None):
        """Points drawn from p(x | z), or for images each pixel's probability of being on, as GenLab's grids show them."""
        rng = rng or np.random.default_rng()
        out = self.decoder(rng.standard_normal((n, self.latent_dim)))
        if not self.points:
            return 1 / (1 + np.exp(-out))
        mu, log_var = np.split(out, 2, axis=1)
        return (mu + np.exp(0.5 * log_var) * rng.standard_normal(mu.shape)) * self.std + self.mean

    def elbo(self, x, rng=None):
        """One-sample ELBO per example (binarised pixels in {0, 1} for images): a lower bound on log p(x)."""
        rng = rng or np.random.default_rng()
        x = np.atleast_2d(np.asarray(x, np.float64))
        data = (x - self.mean) / self.std if self.points else x
        mu, log_var = np.split(self.encoder(data), 2, axis=1)
        z = mu + np.exp(0.5 * log_var) * rng.standard_normal(mu.shape)
        kl = 0.5 * (mu * mu + np.exp(log_var) - 1 - log_var).sum(1)
        out = self.decoder(z)
        if self.points:
            m, lv = np.split(out, 2, axis=1)
            log_lik = (-0.5 * (LOG_2PI + lv + (data - m) ** 2 / np.exp(lv))).sum(1) - np.log(self.std).sum()
        else:
            log_lik = -(np.maximum(out, 0) - out * data + np.log1p(np.exp(-np.abs(out)))).sum(1)
        return log_lik - kl


class GAN:
    """The GAN's generator: samples only (an implicit model has no log p(x))."""

    def __init__(self, folder):
        self.generator = _layers_model(os.path.join(folder, "generator"))
        self.latent_dim = self.generator.inputs

    def decode(self, z):
        """The generator's output for latent codes z (n x latent_dim): points, or grey levels in [0, 1] (n x 784 for 28x28 images)."""
        return self.generator(z)

    def sample(self, n, rng=None):
        rng = rng or np.random.default_rng()
        return self.decode(rng.standard_normal((n, self.latent_dim)))


class PixelCNN:
    """PixelCNN of binarised images: exact log p(x) in one pass; sampling pixel by pixel (slow in numpy)."""

    def __init__(self, folder, spec):
        self.size = tuple(spec["imageSize"])
        self.blocks = spec["residualBlocks"]
        self.w = _weights(folder, spec["weightsManifest"])

    def _logits(self, x):
        w, relu = self.w, ACTIVATIONS["relu"]
        h = _conv_same(x, w["mask-a/kernel"], w["mask-a/bias"])
        for b in range(self.blocks):
            inner = _conv_same(relu(h), w[f"block-{b}/mask-b/kernel"], w[f"block-{b}/mask-b/bias"])
            h = h + _conv_same(relu(inner), w[f"block-{b}/mix/kernel"], w[f"block-{b}/mix/bias"])
        h = _conv_same(relu(h), w["head-0/kernel"], w["head-0/bias"])
        return _conv_same(relu(h), w["head-1/kernel"], w["head-1/bias"])[..., 0]

    def log_prob(self, x):
        """x: binarised images (0 or 1), n x 784 or n x 28 x 28."""
        x = np.asarray(x, np.float64).reshape((len(x),) + self.size)
        logits = self._logits(x[..., None])
        return -(np.maximum(logits, 0) - logits * x + np.log1p(np.exp(-np.abs(logits)))).sum((1, 2))

    def sample(self, n, rng=None):
        rng = rng or np.random.default_rng()
        x = np.zeros((n,) + self.size)
        for i in range(self.size[0]):
            for j in range(self.size[1]):
                p = 1 / (1 + np.exp(-self._logits(x[..., None])[:, i, j]))
                x[:, i, j] = rng.random(n) < p
        return x


class DDPM:
    """
    Denoising diffusion: samples by the reverse process from pure noise, and the denoiser's noise
    prediction. No log_prob: its loss is a reweighted variational bound, and GenLab computes no
    likelihood for it. diffusion.json spells out the schedule, the embedding and the reverse step.
    """

    def __init__(self, folder, spec):
        self.denoiser = _layers_model(os.path.join(folder, "denoiser"))
        self.images = spec["data"] == "images"
        if self.images:
            height, width = spec["imageSize"]
            self._maps = (height, width, spec["channels"])
            self.shape = self._maps if spec["channels"] > 1 else (height, width)
        else:
            self.shape = (spec["dim"],)
        self.clip = spec.get("clip", math.inf)
        self.mean = np.asarray(spec["standardise"]["mean"], np.float64)
        self.std = np.asarray(spec["standardise"]["std"], np.float64)
        self.steps = spec["timesteps"]
        self._embedding = spec["embedding"]
        schedule = spec["schedule"]
        t = np.arange(self.steps + 1)
        f = np.cos((t / self.steps + schedule["offset"]) / (1 + schedule["offset"]) * (math.pi / 2)) ** 2
        self.beta = np.concatenate([[0.0], np.minimum(schedule["maxBeta"], 1 - f[1:] / f[:-1])])
        self.alpha_bar = np.cumprod(1 - self.beta)

    def _embed(self, t):
        size, half = self._embedding["size"], self._embedding["size"] // 2
        w = (self._embedding["scale"] * np.asarray(t, np.float64) / self.steps)[:, None] / self._embedding["base"] ** (2 * np.arange(half) / size)
        return np.concatenate([np.sin(w), np.cos(w)], 1)

    def predict_noise(self, x_t, t):
        """The denoiser's noise for x_t (n rows, in the model's units: standardised points, images in [-1, 1]) at step t (1..T, one or one per row)."""
        x_t = np.asarray(x_t, np.float64).reshape(len(x_t), -1)
        e = self._embed(np.broadcast_to(t, (len(x_t),)))
        if self.images:
            return self.denoiser(x_t.reshape((len(x_t),) + self._maps), e)
        return self.denoiser(np.concatenate([x_t, e], 1))

    def noise_mse(self, x, rng=None):
        """The training loss per example: x (data units; images as grey levels in [0, 1]) noised to a random step, the denoiser's squared error on that noise."""
        rng = rng or np.random.default_rng()
        x0 = (np.asarray(x, np.float64).reshape(len(x), -1) - self.mean) / self.std
        t = rng.integers(1, self.steps + 1, len(x0))
        eps = rng.standard_normal(x0.shape)
        a = self.alpha_bar[t][:, None]
        return ((self.predict_noise(np.sqrt(a) * x0 + np.sqrt(1 - a) * eps, t) - eps) ** 2).mean(1)

    def sample(self, n, rng=None, temperature=1.0):
        """n examples by ancestral sampling, as GenLab draws them: points, or images in [0, 1] (n x H x W [x C])."""
        rng = rng or np.random.default_rng()
        beta, alpha_bar = self.beta, self.alpha_bar
        x = rng.standard_normal((n, math.prod(self.shape))) * temperature
        for t in range(self.steps, 0, -1):
            x0 = np.clip((x - np.sqrt(1 - alpha_bar[t]) * self.predict_noise(x, t)) / np.sqrt(alpha_bar[t]), -self.clip, self.clip)
            mean = (beta[t] * np.sqrt(alpha_bar[t - 1]) * x0 + (1 - alpha_bar[t - 1]) * np.sqrt(1 - beta[t]) * x) / (1 - alpha_bar[t])
            sigma = math.sqrt(beta[t] * (1 - alpha_bar[t - 1]) / (1 - alpha_bar[t])) * temperature
            x = mean + (sigma * rng.standard_normal(x.shape) if t > 1 else 0)
        x = x * self.std + self.mean
        return np.clip(x, 0, 1).reshape((n,) + self.shape) if self.images else x


def _newest_checkpoint(run_dir):
    root = os.path.join(run_dir, "checkpoints")
    steps = sorted(n for n in os.listdir(root) if re.fullmatch(r"step-\d{6}", n)) if os.path.isdir(root) else []
    if not steps:
        raise FileNotFoundError(f"{run_dir} has no checkpoint yet: GenLab writes one at each evaluation and at the end")
    return os.path.join(root, steps[-1])


def load(path):
    """
    The model in a GenLab run folder (its newest checkpoint) or a folder exported from one
    (Export Model, `genlab export`): Gaussian and Mixture (sample, log_prob), RealNVP on points
    and on images (sample, log_prob), PixelCNN (log_prob, sample), VAE (sample, elbo), GAN
    (sample, decode) and DDPM (sample, predict_noise, noise_mse). Needs numpy.
    """
    if np is None:
        raise ImportError("genlab.load needs numpy: pip install numpy")
    folder = os.fspath(path)
    if os.path.exists(os.path.join(folder, "run.json")):
        with open(os.path.join(folder, "run.json"), encoding="utf-8") as f:
            if json.load(f).get("config", {}).get("family") == "external":
                raise ValueError(f"{folder} was logged by a script, not trained by GenLab: load the model the script saved")
        folder = _newest_checkpoint(folder)
    has = lambda name: os.path.exists(os.path.join(folder, name))  # noqa: E731
    if has("gaussian.json") or has("mixture.json"):
        name = "gaussian.json" if has("gaussian.json") else "mixture.json"
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            spec = json.load(f)
        return Gaussian(spec) if name == "gaussian.json" else Mixture(spec)
    if has("flow.json"):
        with open(os.path.join(folder, "flow.json"), encoding="utf-8") as f:
            spec = json.load(f)
        if spec.get("format") == "genlab-realnvp-images":
            return RealNVPImages(folder, spec)
        if spec.get("format") != "genlab-realnvp":
            raise NotImplementedError(f"{folder}: a {spec.get('format')} flow, which this genlab.load does not know")
        return RealNVP(folder, spec)
    if has("encoder") and has("decoder"):
        return VAE(folder)
    if has("generator"):
        return GAN(folder)
    if has("pixelcnn.json"):
        with open(os.path.join(folder, "pixelcnn.json"), encoding="utf-8") as f:
            return PixelCNN(folder, json.load(f))
    if has("diffusion.json"):
        with open(os.path.join(folder, "diffusion.json"), encoding="utf-8") as f:
            return DDPM(folder, json.load(f))
    if has("denoiser"):
        raise FileNotFoundError(f"{folder}: a DDPM checkpoint from before GenLab wrote diffusion.json beside its denoiser; resume the run (its next checkpoint has one) or train it again")
    raise FileNotFoundError(f"{folder} holds no GenLab model (no gaussian.json, mixture.json, flow.json, pixelcnn.json, diffusion.json, encoder/, generator/)")
