"""Arrays from whatever a training loop holds (numpy arrays, PyTorch or JAX tensors, nested
lists), as a shape and a flat list of floats; numpy is used when it is installed, never needed."""

import math

try:  # pragma: no cover - depends on the environment
    import numpy as _np
except ImportError:  # pragma: no cover
    _np = None


def _plain(value):
    # A PyTorch tensor may need a grad detached and a device left; JAX and numpy arrays convert.
    if hasattr(value, "detach"):
        value = value.detach().cpu()
        return value.numpy() if _np is not None else value.tolist()
    return value


def as_array(value, name):
    """(shape, flat floats) of an array-like; a clear error when it is not one."""
    value = _plain(value)
    if _np is not None:
        try:
            array = _np.asarray(value, dtype=_np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{name}: expected an array of numbers ({err})") from None
        return tuple(array.shape), array.ravel().tolist()
    shape = []
    probe = value
    while isinstance(probe, (list, tuple)):
        shape.append(len(probe))
        probe = probe[0] if probe else None
    flat = []

    def walk(item, depth):
        if depth == len(shape):
            try:
                flat.append(float(item))
            except (TypeError, ValueError):
                raise TypeError(f"{name}: expected an array of numbers, found {item!r}") from None
            return
        if not isinstance(item, (list, tuple)) or len(item) != shape[depth]:
            raise TypeError(f"{name}: a ragged array (rows of different lengths)")
        for child in item:
            walk(child, depth + 1)

    walk(value, 0)
    return tuple(shape), flat


def finite_or_none(value):
    """JSON has no NaN or infinity: a diverged value is recorded as null, which reads as a gap."""
    return value if math.isfinite(value) else None


def number(value, name):
    """A logged value as a float: Python and numpy numbers, and one-element tensors."""
    value = _plain(value)
    if isinstance(value, bool) or isinstance(value, str):
        raise TypeError(f"{name}: expected a number, got {value!r}")
    if hasattr(value, "item"):
        value = value.item()
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected a number, got {value!r}") from None
