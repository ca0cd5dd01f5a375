"""Random arrays from parray's counter-based generator (Philox4x32-10): the
value at each index depends only on (seed, stream, index), so an array is
the same bits at every rank count and layout. Every call is collective."""
from . import _parray


def uniform(shape, low=0.0, high=1.0, dtype=None, seed=0, stream=0, dist=None):
    """Floats in [low, high) (float64 by default; float32, float16)."""
    return _parray.random_uniform(shape, low, high, dtype, seed, stream, dist)


def normal(shape, mean=0.0, std=1.0, dtype=None, seed=0, stream=0, dist=None):
    """Normal floats by Box-Muller (float64 by default; float32, float16)."""
    return _parray.random_normal(shape, mean, std, dtype, seed, stream, dist)


def integers(low, high, shape, dtype=None, seed=0, stream=0, dist=None):
    """Integers in [low, high) (int64 by default; any integer dtype)."""
    return _parray.random_integers(shape, low, high, dtype, seed, stream, dist)


def bool(shape, p=0.5, seed=0, stream=0, dist=None):
    """Bools, True with probability p."""
    return _parray.random_bool(shape, p, seed, stream, dist)
