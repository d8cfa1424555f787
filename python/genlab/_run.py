"""A run folder in GenLab's run format (media/schemas/run.schema.json in the extension), written
by a person's own training loop: run.json rewritten atomically, metrics.jsonl appended one
flushed line per record, sample grids and density views as GenLab's trainer writes them."""

import atexit
import datetime
import json
import math
import os
import platform
import random
import re
import socket
import sys
import tempfile
import threading
import time
import unicodedata

from . import _arrays, _paths, _png

FORMAT_VERSION = 4
VERSION = "0.1.0"

DENSITY_KINDS = ("explicit-tractable", "explicit-approximate", "implicit", "diffusion")
SCORE_KINDS = ("exact", "bound", "samples")
DENSITY_FIELDS = ("log-density", "elbo", "discriminator", "none")
# GenLab's own families and datasets: a run named after one is laid out and titled like GenLab's.
FAMILY_KINDS = {
    "vae": "explicit-approximate",
    "gaussian": "explicit-tractable",
    "mixture": "explicit-tractable",
    "pixelcnn": "explicit-tractable",
    "realnvp": "explicit-tractable",
    "gan": "implicit",
    "ddpm": "diffusion",
}
IMAGE_DATASETS = ("mnist", "fashion-mnist")
POINT_DATASETS = ("8gaussians", "checkerboard", "moons", "rings", "circles", "swissroll", "pinwheel", "2spirals", "bimodal")
# File names hold six digits of step (samples/step-NNNNNN.png), as GenLab's own runs do.
MAX_FILE_STEP = 999_999
SAMPLE_KIND = re.compile(r"^[a-z]+(-[a-z]+)*$")
# run.json's progress is rewritten at most this often between evaluations.
PROGRESS_EVERY_S = 2.0
TEST_POINTS = 600
HISTOGRAM_BINS = 40


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _slug(text, limit=40):
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:limit].strip("-")


def _write_atomic(path, data):
    """Readers see the old file or the new one, never half of one."""
    folder = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _json(value):
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _jsonable(value, name):
    """The script's config as JSON: numbers, strings, lists and dicts; anything else as its text."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _jsonable(v, f"{name}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, name) for v in value]
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return _jsonable(value.item(), name)
    return str(value)


def _versions():
    found = {"python": platform.python_version(), "genlab": VERSION}
    for module in ("torch", "jax", "tensorflow", "numpy"):
        version = getattr(sys.modules.get(module), "__version__", None)
        if isinstance(version, str):
            found[module] = version
    return found


def _backend(versions):
    for module, title in (("torch", "PyTorch"), ("jax", "JAX"), ("tensorflow", "TensorFlow")):
        if module in versions:
            return f"{title} {versions[module]} (Python {versions['python']})"
    return f"Python {versions['python']}"


def _step(step, name="step"):
    if isinstance(step, bool) or not isinstance(step, int):
        if hasattr(step, "item"):
            step = step.item()
        if not isinstance(step, int) or isinstance(step, bool):
            raise TypeError(f"{name}: expected a whole number, got {step!r}")
    if step < 0:
        raise ValueError(f"{name}: expected a step of 0 or more, got {step}")
    return step


class Run:
    """One run folder being written. Make one with genlab.init()."""

    def __init__(self, directory, record):
        self.dir = directory
        self.id = record["id"]
        self._record = record
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._epoch = 0.0
        self._saved_at = 0.0
        self._finished = False
        os.makedirs(os.path.join(directory, "samples"), exist_ok=True)
        self._save()
        # Line-buffered: each record reaches the file as it is logged, so a killed script loses at most the line being written.
        self._metrics = open(os.path.join(directory, "metrics.jsonl"), "a", encoding="utf-8", newline="\n", buffering=1)
        _live_runs.append(self)

    # -- the record ------------------------------------------------------------------------

    @property
    def _declared(self):
        return self._record["config"]["external"]

    def _save(self):
        self._record["updatedAt"] = _now()
        _write_atomic(os.path.join(self.dir, "run.json"), (json.dumps(self._record, ensure_ascii=False, allow_nan=False, indent=2) + "\n").encode("utf-8"))
        self._saved_at = time.monotonic()

    def _progress(self, step):
        progress = self._record["progress"]
        progress["step"] = max(progress["step"], step)
        progress["epoch"] = self._epoch
        progress["totalSteps"] = max(progress["totalSteps"], progress["step"]) if progress["totalSteps"] else 0

    def _append(self, kind, step, values):
        line = {"kind": kind, "step": step, "epoch": self._epoch, "elapsedMs": round((time.monotonic() - self._started) * 1000, 1), "values": values}
        self._metrics.write(_json(line) + "\n")
        self._metrics.flush()

    def _values(self, values, what):
        if not values:
            raise ValueError(f"{what}: give at least one value, e.g. {what}(step, loss=0.5)")
        out = {}
        for key, value in values.items():
            out[key] = _arrays.finite_or_none(_arrays.number(value, f"{what}: {key}"))
        return out

    def _check_open(self, what):
        if self._finished:
            raise RuntimeError(f"{what}: the run {self.id} is finished; start another with genlab.init()")

    # -- what a loop logs ----------------------------------------------------------------------

    def log(self, step, epoch=None, **values):
        """Training values at `step` (losses by name). A value that is not finite (a diverged loss) is recorded as null: a gap in the chart."""
        with self._lock:
            self._check_open("log")
            step = _step(step)
            if epoch is not None:
                self._epoch = max(0.0, float(epoch))
            recorded = self._values(values, "log")
            if "loss" not in self._declared:
                # The chart's main loss: the first one logged unless init(loss=...) named it.
                self._declared["loss"] = next(iter(recorded))
                self._saved_at = 0.0
            self._append("train", step, recorded)
            self._progress(step)
            if time.monotonic() - self._saved_at >= PROGRESS_EVERY_S:
                self._save()

    def eval(self, step, score=None, score_kind=None, **values):
        """
        Evaluation values at `step` (on held-out data). `score` names the value that scores the run
        (lower is better) and `score_kind` what it is: "exact" (a log-likelihood), "bound" (such as
        the negative ELBO) or "samples" (computed from samples, like an FID); both can also be given
        to init().
        """
        with self._lock:
            self._check_open("eval")
            step = _step(step)
            recorded = self._values(values, "eval")
            if score is not None:
                self._declared["metric"] = str(score)
            if score_kind is not None:
                self._declared["metricKind"] = _score_kind(score_kind)
            self._append("eval", step, recorded)
            self._progress(step)
            final = self._record["finalMetrics"]
            final.update({k: v for k, v in recorded.items() if v is not None})
            metric = self._declared.get("metric")
            value = recorded.get(metric)
            best = self._record.get("best")
            if value is not None and (best is None or best.get("metric") != metric or value < best["value"]):
                self._record["best"] = {"step": step, "metric": metric, "value": value}
            self._save()

    def samples(self, step, images, kind="samples", columns=None):
        """
        A grid of images in [0, 1] at `step`: N x H x W (grayscale), N x H x W x C or, as PyTorch
        holds them, N x C x H x W (C = 1 or 3; a 4th channel is dropped). `kind` names the grid
        ("samples" is the main one; e.g. "reconstruction"). Returns the PNG's path.
        """
        with self._lock:
            self._check_open("samples")
            step = _file_step(step, "samples")
            if not SAMPLE_KIND.match(kind):
                raise ValueError(f"samples: kind {kind!r} must be lowercase letters and dashes, e.g. 'samples' or 'reconstruction'")
            shape, flat = _arrays.as_array(images, "samples: images")
            png = _png.grid_png(shape, flat, columns)
            name = f"step-{step:06d}.png" if kind == "samples" else f"step-{step:06d}-{kind}.png"
            path = os.path.join(self.dir, "samples", name)
            _write_atomic(path, png)
            self._progress(step)
            return path

    def density(self, step, values=None, extent=None, samples=None, test=None, field="log-density"):
        """
        The density view of a model of 1-D or 2-D points at `step`. `values`: the model's field on
        genlab.grid_points(extent) -- for 2-D data an H x W array whose first row is at the top
        (the largest y), for 1-D data one value per point. `extent`: (x_min, x_max) for 1-D data,
        (x_min, x_max, y_min, y_max) for 2-D. `samples` and `test`: points drawn from the model
        and held-out data points (N x dim). `field`: "log-density" (exact log p(x)), "elbo" (a
        lower bound), "discriminator" (a GAN's, not a density) or "none" (only samples).
        """
        with self._lock:
            self._check_open("density")
            step = _file_step(step, "density")
            grid = _density_grid(values, extent, samples, test, field)
            folder = os.path.join(self.dir, "density")
            os.makedirs(folder, exist_ok=True)
            path = os.path.join(folder, f"step-{step:06d}.json")
            _write_atomic(path, (_json(grid) + "\n").encode("utf-8"))
            self._progress(step)
            return path

    def checkpoint_note(self, path, step=None):
        """Records where the script saved a checkpoint, so the run says where its model is."""
        with self._lock:
            self._check_open("checkpoint_note")
            note = {"path": os.path.abspath(os.fspath(path)), "at": _now()}
            if step is not None:
                note["step"] = _step(step)
            self._declared.setdefault("checkpoints", []).append(note)
            self._save()

    def finish(self, status="finished", error=None, hint=None):
        """Ends the run: "finished", "stopped" (interrupted on purpose) or "failed" (with `error`). Later calls do nothing."""
        if status not in ("finished", "stopped", "failed"):
            raise ValueError(f"finish: status must be 'finished', 'stopped' or 'failed', not {status!r}")
        with self._lock:
            if self._finished:
                return
            self._finished = True
            self._metrics.close()
            self._record["status"] = status
            self._record["finishedAt"] = _now()
            if status == "failed":
                self._record["error"] = {"message": str(error or "The script failed."), "hint": hint or "See the script's output for the traceback."}
            self._save()
        if self in _live_runs:
            _live_runs.remove(self)

    # -- a context manager: an exception marks the run failed, Ctrl+C stopped ---------------------

    def __enter__(self):
        return self

    def __exit__(self, kind, error, _traceback):
        _finish_on(self, kind, error)
        return False

    def __repr__(self):
        return f"<genlab.Run {self.id} in {self.dir}>"


def _score_kind(kind):
    if kind not in SCORE_KINDS:
        raise ValueError(f"score_kind must be one of {', '.join(SCORE_KINDS)}, not {kind!r}")
    return kind


def _file_step(step, what):
    step = _step(step)
    if step > MAX_FILE_STEP:
        raise ValueError(f"{what}: step {step} is above {MAX_FILE_STEP}, the largest a file name holds; log images at fewer steps")
    return step


def _finish_on(run, kind, error):
    if kind is None:
        run.finish("finished")
    elif issubclass(kind, KeyboardInterrupt):
        run.finish("stopped")
    else:
        run.finish("failed", error=f"{kind.__name__}: {error}", hint="The script raised this; its output has the traceback.")


def _points(value, dim, name):
    if value is None:
        return []
    shape, flat = _arrays.as_array(value, name)
    if (dim == 1 and len(shape) not in (1, 2)) or (dim == 2 and (len(shape) != 2 or shape[1] != 2)) or (dim == 1 and len(shape) == 2 and shape[1] != 1):
        raise ValueError(f"{name}: expected N x {dim} points for {dim}-D data, got shape {shape}")
    return [_round(v) for v in flat]


def _round(v):
    # As GenLab's trainer sends them: 4 decimals, and infinities (a log-density far from the data) as +-1e4.
    return round(v, 4) if math.isfinite(v) else (1e4 if v > 0 else -1e4)


def _density_grid(values, extent, samples, test, field):
    if field not in DENSITY_FIELDS:
        raise ValueError(f"density: field must be one of {', '.join(DENSITY_FIELDS)}, not {field!r}")
    if extent is None or len(extent) not in (2, 4):
        raise ValueError("density: give extent=(x_min, x_max) for 1-D data or (x_min, x_max, y_min, y_max) for 2-D data")
    extent = [float(e) for e in extent]
    if not all(math.isfinite(e) for e in extent) or extent[0] >= extent[1] or (len(extent) == 4 and extent[2] >= extent[3]):
        raise ValueError(f"density: extent {extent} must be finite, each minimum below its maximum")
    dim = 1 if len(extent) == 2 else 2
    full = extent + [0.0, 0.0] if dim == 1 else extent
    width = height = 0
    flat = []
    if field != "none":
        if values is None:
            raise ValueError(f"density: field {field!r} needs values on genlab.grid_points(extent); give field='none' for samples only")
        shape, flat = _arrays.as_array(values, "density: values")
        if dim == 1:
            if len(shape) != 1:
                raise ValueError(f"density: for 1-D data, values are one per grid point, got shape {shape}")
            width, height = shape[0], 1
        else:
            if len(shape) != 2:
                raise ValueError(f"density: for 2-D data, values are an H x W array (first row at the top), got shape {shape}")
            height, width = shape
        flat = [_round(v) for v in flat]
    test_points = _points(test, dim, "density: test")[: TEST_POINTS * dim]
    grid = {
        "field": field,
        "dim": dim,
        "extent": full,
        "width": width,
        "height": height,
        "values": flat,
        "samples": _points(samples, dim, "density: samples"),
        "test": test_points,
    }
    if dim == 1 and test is not None:
        grid["histogram"] = _histogram(_points(test, 1, "density: test"), extent)
    return grid


def _histogram(points, extent):
    x0, x1 = extent
    edges = [x0 + (x1 - x0) * i / HISTOGRAM_BINS for i in range(HISTOGRAM_BINS + 1)]
    counts = [0] * HISTOGRAM_BINS
    for v in points:
        b = math.floor((v - x0) / (x1 - x0) * HISTOGRAM_BINS)
        if 0 <= b < HISTOGRAM_BINS:
            counts[b] += 1
    return {"edges": edges, "counts": counts}


def grid_points(extent, size=None):
    """
    Where to evaluate a model for run.density(): for 2-D data (extent of 4) size x size cell
    centres (64 by default), row by row from the top (the largest y), each row from x_min to
    x_max; for 1-D data `size` evenly spaced points (200 by default). A list of (x, y) pairs or of
    numbers; a numpy array when numpy is installed.
    """
    extent = [float(e) for e in extent]
    if len(extent) == 2:
        n = size or 200
        x0, x1 = extent
        points = [x0 + (x1 - x0) * i / (n - 1) for i in range(n)]
    elif len(extent) == 4:
        n = size or 64
        x0, x1, y0, y1 = extent
        points = [(x0 + (c + 0.5) * (x1 - x0) / n, y1 - (r + 0.5) * (y1 - y0) / n) for r in range(n) for c in range(n)]
    else:
        raise ValueError("grid_points: give extent=(x_min, x_max) or (x_min, x_max, y_min, y_max)")
    return _arrays._np.asarray(points) if _arrays._np is not None else points


def _create_folder(root, name):
    """The folder `name` under `root`, or name-2, name-3... when another process took it: creating it is the test."""
    os.makedirs(root, exist_ok=True)
    for n in range(1, 1000):
        candidate = os.path.join(root, name if n == 1 else f"{name}-{n}")
        try:
            os.mkdir(candidate)
            return candidate
        except FileExistsError:
            continue
    raise RuntimeError(f"genlab.init: could not create a run folder in {root}")


def init(name=None, family="model", density_kind=None, config=None, dataset="data", data=None, runs_dir=None, steps=None, loss=None, score=None, score_kind=None, summary=None, backend=None, seed=None):
    """
    Starts a run folder in the workspace's runs folder (`runs_dir`, else GENLAB_RUNS_DIR, else the
    workspace's genlab.runsDirectory setting, else .genlab/runs in the nearest workspace folder)
    and returns its Run. `family` is the kind of model ("vae", "My flow"); GenLab's family keys
    also imply `density_kind`, which is otherwise one of "explicit-tractable",
    "explicit-approximate", "implicit", "diffusion". `data` is "images" or "points"; it follows
    from `dataset` when that is one of GenLab's ("mnist", "moons", ...). `steps`: how long the run
    will be, if known.
    """
    family = str(family).strip() or "model"
    kind = density_kind or FAMILY_KINDS.get(family.lower())
    if kind not in DENSITY_KINDS:
        raise ValueError(f"genlab.init: density_kind must be one of {', '.join(DENSITY_KINDS)} (the taxonomy of generative models), not {density_kind!r}")
    dataset = str(dataset).strip() or "data"
    data = data or ("images" if dataset in IMAGE_DATASETS else "points" if dataset in POINT_DATASETS else None)
    if data not in ("images", "points"):
        raise ValueError(f"genlab.init: say what the model learns with data='images' or data='points' (the dataset {dataset!r} is not one of GenLab's)")
    root = _paths.runs_root(runs_dir)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S")
    suffix = "".join(random.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(4))
    folder = _create_folder(root, f"{_slug(name or family) or 'run'}-{_slug(dataset) or 'data'}-{stamp}-{suffix}")
    settings = _jsonable(config or {}, "config")
    if not isinstance(settings, dict):
        raise TypeError("genlab.init: config must be a dict of settings")
    writer = {"language": "python", "host": socket.gethostname()}
    script = sys.argv[0] if sys.argv and sys.argv[0] not in ("", "-c", "-") else None
    if script:
        writer["script"] = os.path.abspath(script) if os.path.exists(script) else script
    declared = {"family": family, "densityKind": kind, "data": data, "writer": writer}
    if loss:
        declared["loss"] = str(loss)
    if score:
        declared["metric"] = str(score)
    if score_kind:
        declared["metricKind"] = _score_kind(score_kind)
    if summary:
        declared["summary"] = str(summary)
    run_config = {"family": "external", "dataset": dataset, "runsDir": root, "external": declared, "settings": settings}
    if name:
        run_config["runName"] = str(name)
    seed = seed if seed is not None else settings.get("seed")
    versions = _versions()
    now = _now()
    record = {
        "formatVersion": FORMAT_VERSION,
        "id": os.path.basename(folder),
        **({"name": str(name)} if name else {}),
        "status": "running",
        "pid": os.getpid(),
        "config": run_config,
        "seed": seed if isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed < 2**32 else 0,
        "backend": backend or _backend(versions),
        "versions": versions,
        "createdAt": now,
        "updatedAt": now,
        "progress": {"step": 0, "epoch": 0, "totalSteps": _step(steps, "steps") if steps is not None else 0},
        "finalMetrics": {},
    }
    return Run(folder, record)


# Runs not finished when the script ends: an uncaught exception marks them failed (Ctrl+C:
# stopped), a normal exit finished. A killed process does neither, and GenLab shows the run as
# interrupted because its pid is gone.
_live_runs = []
_previous_hook = sys.excepthook


def _excepthook(kind, error, traceback):
    for run in list(_live_runs):
        _finish_on(run, kind, error)
    _previous_hook(kind, error, traceback)


def _at_exit():
    for run in list(_live_runs):
        run.finish("finished")


sys.excepthook = _excepthook
atexit.register(_at_exit)
