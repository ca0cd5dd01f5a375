"""parray: arrays spread over the ranks of an MPI job, with numpy views of
node-shared memory. A binding of libparray's C API (docs/python.md).

    import parray as pa
    ctx = pa.init()
    a = pa.random.uniform((1_000_000,), seed=1)
    r = pa.eval("r = sqrt(a*a + 1)", a=a)
    print(r.sum())

Every call that computes, creates, loads or saves is collective: every rank
makes it, in the same order, with the same arguments.
"""
import atexit as _atexit
import pickle as _pickle
import sys as _sys

import numpy as _np

from . import _parray
from ._parray import (Array, Expr, arange, blas_plan, collect, compile, concatenate, dot, empty,
                      eval, from_numpy, full, get_attr, linspace, live_arrays, load_csv,
                      load_files, load_h5, load_npy, matmul, ones, replicate, set_attr,
                      solve, lstsq, cholesky, eigh, h5_info, zeros)
from . import random

__all__ = ["Error", "Context", "init", "finalize", "context", "Array", "Expr", "empty",
           "zeros", "ones", "full", "concatenate", "arange", "linspace", "random", "from_numpy",
           "replicate", "eval", "compile", "dot", "matmul", "solve", "lstsq", "cholesky",
           "eigh", "load_h5", "h5_info", "load_files", "load_npy", "load_csv", "set_attr",
           "get_attr", "save_h5", "save_files", "unary", "info", "blas_plan", "live_arrays", "collect", "agree"]


class Error(Exception):
    """A parray call failed. Raised on every rank together, with the same
    code (a negative PA_E* value; name is "PA_EINVAL", ...) and message."""

    def __init__(self, code, message):
        super().__init__(code, message)
        self.code = code
        self.name = _parray.errname(code)
        self.message = message

    def __str__(self):
        return f"{self.name}: {self.message}"


_parray._set_error(Error)


def _mpi4py_comm(handle):
    """An mpi4py Comm for a Fortran handle, or the handle when mpi4py is not
    importable (or None for MPI_COMM_NULL)."""
    if handle is None:
        return None
    try:
        from mpi4py import MPI
    except ImportError:
        return handle
    return MPI.Comm.f2py(handle)


class Context:
    """The job as parray sees it. comm, node_comm and leader_comm are
    mpi4py.MPI.Comm objects when mpi4py is importable (Fortran handles
    otherwise; leader_comm is None off the nodes' leaders). They are
    parray's own communicators: use them to talk, never free them."""

    def __init__(self):
        lay = _parray.layout()
        for k, v in lay.items():
            setattr(self, k, v)
        handles = _parray.comm_handles()
        self.comm, self.node_comm, self.leader_comm = (_mpi4py_comm(h) for h in handles)

    def __repr__(self):
        return (f"parray.Context(rank={self.rank}, size={self.size}, node={self.node}, "
                f"nnodes={self.nnodes})")


_context = None


def init(comm=None, abort_on_exception=True):
    """Collective. Starts parray over MPI_COMM_WORLD, or over comm (an
    mpi4py communicator; parray duplicates it). Returns the Context.

    abort_on_exception: an exception that no rank catches ends the whole
    job with MPI_Abort (after printing it) when the job has more than one
    rank, so that the other ranks are never left waiting in a collective
    call; parray frees everything at the interpreter's normal exit."""
    global _context
    _parray.init(None if comm is None else comm.py2f())
    _context = Context()
    if abort_on_exception and _context.size > 1:
        _install_excepthook()
    return _context


def context():
    """The Context of init (parray.Error when init has not run)."""
    if _context is None:
        _parray.layout()  # raises parray.Error
    return _context


def finalize():
    """Collective. Frees every array still held and the context (views of
    them must not be used after). Runs at exit by itself."""
    global _context
    _parray.finalize()
    _context = None


@_atexit.register
def _finalize_at_exit():
    if _parray.initialized():
        finalize()


def _install_excepthook():
    previous = _sys.excepthook

    def hook(kind, value, tb):
        previous(kind, value, tb)
        _sys.stderr.flush()
        _parray.abort(1)

    _sys.excepthook = hook


def agree(ok):
    """Collective. Whether ok holds on every rank: the lowest rank where it
    does not, or -1. For a rank's own Python checks before the next
    collective call: if agree(check()) != -1, every rank raises."""
    return _parray.agree(bool(ok))


def save_h5(a, path, dataset, **options):
    """Collective. a.save_h5(path, dataset, **options): a crash-safe save."""
    return a.save_h5(path, dataset, **options)


def save_files(a, pattern, **options):
    """Collective. a.save_files(pattern, **options): one file per row."""
    return a.save_files(pattern, **options)


def unary(op, a, out=None):
    """Collective. An element-wise op of the C API by name ("sqrt", ...)."""
    return _parray.unary(op, a, out)


def info():
    """Collective. The facts of `parray info --json` that the C API gives:
    the layout, the nodes, every rank's BLAS plan and CPUs, the BLAS build,
    the HDF5 settings. The same dict on every rank."""
    rows = [_pickle.loads(r) for r in _parray.info_rows(_pickle.dumps)]
    ctx = context()
    nodes = {}
    for r in rows:
        n = nodes.setdefault(r["node"], {"node": r["node"], "hostname": r["hostname"],
                                         "ranks": [], "cores": r["blas"]["node"],
                                         "blas_threads": 0})
        n["ranks"].append(r["rank"])
        n["blas_threads"] += r["blas"]["threads"]
    out = {"ranks": ctx.size, "nodes": ctx.nnodes, "emulated": ctx.emulated,
           "blas": {"config": rows[0]["blas"]["blas_config"],
                    "parallel": ["sequential", "pthreads", "openmp"][rows[0]["blas"]["blas_parallel"]]
                    if 0 <= rows[0]["blas"]["blas_parallel"] <= 2 else "unknown"},
           "node_list": [nodes[k] for k in sorted(nodes)],
           "rank_list": rows,
           "warnings": sorted({w for r in rows for w in r["blas"]["warnings"]})}
    out.update(_parray.h5_settings())
    return out


def _reduction(name):
    def f(a, axis=None, **kw):
        return getattr(a, name)(axis=axis, **kw)
    f.__name__ = name
    f.__doc__ = f"Collective. a.{name}(axis): a Python scalar, or a numpy array along an axis."
    return f


for _name in ("sum", "mean", "min", "max", "argmin", "argmax", "var", "std", "norm2", "any", "all"):
    globals()[_name] = _reduction(_name)
    __all__.append(_name)

for _name in ("sqrt", "exp", "log", "log10", "log1p", "expm1", "sin", "cos", "tan", "tanh",
              "floor", "ceil", "round", "square", "reciprocal", "sinh", "cosh", "arcsin",
              "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "abs", "negative"):
    def _f(a, out=None, _op="neg" if _name == "negative" else _name):
        return _parray.unary(_op, a, out)
    _f.__name__ = _name
    _f.__doc__ = f"Collective. numpy.{_name} element by element, in a's dtype."
    globals()[_name] = _f
    __all__.append(_name)
del _f, _name
