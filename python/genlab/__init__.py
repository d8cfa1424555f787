"""
GenLab for your own training loop: log losses, evaluations, sample grids and density views into
a run folder that GenLab's VS Code extension shows live, beside its own runs.

    import genlab
    with genlab.init(name="my-vae", family="vae", dataset="mnist", config={"lr": 1e-3}) as run:
        for step in range(1, 1001):
            ...
            run.log(step, loss=loss)
            if step % 100 == 0:
                run.eval(step, test_nelbo=value, score="test_nelbo", score_kind="bound")
                run.samples(step, images)  # N x H x W arrays in [0, 1]
"""

from ._load import load
from ._run import FORMAT_VERSION, Run, grid_points, init, VERSION as __version__

__all__ = ["init", "load", "Run", "grid_points", "FORMAT_VERSION", "__version__"]
