"""Concurrent load and save: --files .npy files of --file-bytes each (the
rows of one array), and the same array as one HDF5 dataset. The tutorial's
way, in one process: a ThreadPoolExecutor of 2 threads running np.save /
np.load over the files, and h5py (rank 0 alone with serial h5py, or every
rank its rows with h5py's mpio driver where h5py was built with MPI).
parray's way: a.save_files / pa.load_files, and a.save_h5 / pa.load_h5,
on every rank. Files go in a temporary directory under PARRAY_BENCH_DIR,
else TMPDIR, else /tmp; reads come from the page cache, right after the
writes.

    mpirun -n 2 python3 load_save.py [--files 1000] [--file-bytes 1e5] [--quick]
"""
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import parray as pa
from parray.benchkit import check, example_main

EXPERIMENT = "io"
HEADER = 128  # bytes of a .npy header of a 1-D f64 array


SIZES = {"--files": ("number of .npy files", 1000, 50),
         "--file-bytes": ("bytes per file", 1e5, 1e5)}


def _shape(args):
    return int(args.files), (int(args.file_bytes) - HEADER) // 8


def sizes(args):
    rows, cols = _shape(args)
    return f"{rows} .npy files of {(cols * 8 + HEADER) / 1e3:g} kB; one {rows}x{cols} f64 dataset"


def _h5py():
    try:
        import h5py
    except ImportError:
        return None, False
    return h5py, bool(h5py.get_config().mpi)


def run(b, args):
    ctx = pa.context()
    rows, cols = _shape(args)
    base = os.environ.get("PARRAY_BENCH_DIR") or os.environ.get("TMPDIR") or "/tmp"
    top = tempfile.mkdtemp(prefix="parray-example-io.", dir=base) if ctx.rank == 0 else None
    top = ctx.comm.bcast(top, root=0)
    try:
        _measure(b, ctx, rows, cols, top)
    finally:
        ctx.comm.Barrier()
        if ctx.rank == 0:
            shutil.rmtree(top, ignore_errors=True)


def _measure(b, ctx, rows, cols, top):
    data = np.random.default_rng(5).random((rows, cols))
    a = pa.from_numpy(data if ctx.rank == 0 else None)
    leader = ctx.rank == 0
    pool = ThreadPoolExecutor(2)
    naive_paths = [f"{top}/np/part-{i:05d}.npy" for i in range(rows)]
    pa_pattern = f"{top}/pa/part-%05d.npy"
    pa_paths = [pa_pattern % i for i in range(rows)]
    if leader:
        os.makedirs(f"{top}/np")
        os.makedirs(f"{top}/pa")
    ctx.comm.Barrier()
    got = {}

    def np_save():
        if leader:
            list(pool.map(lambda i: np.save(naive_paths[i], data[i]), range(rows)))

    def pa_save():
        a.save_files(pa_pattern)

    def np_load():
        if leader:
            got["np"] = list(pool.map(np.load, naive_paths))

    def pa_load():
        got["pa"] = pa.load_files(pa_paths)

    steps = [np_save, pa_save, np_load, pa_load]
    h5py, mpio = _h5py()
    h5_path, pa_h5_path = f"{top}/h5py.h5", f"{top}/pa.h5"
    if h5py:
        def h5py_save():
            if mpio:
                with h5py.File(h5_path, "w", driver="mpio", comm=ctx.comm) as f:
                    d = f.create_dataset("a", (rows, cols), "f8")
                    row0, nr = _rows(a, cols)
                    d[row0:row0 + nr] = a.local().reshape(nr, cols)
            elif leader:
                with h5py.File(h5_path, "w") as f:
                    f["a"] = data

        def h5py_load():
            if mpio:
                with h5py.File(h5_path, "r", driver="mpio", comm=ctx.comm) as f:
                    row0, nr = _rows(a, cols)
                    got["h5py"] = f["a"][row0:row0 + nr]
            elif leader:
                with h5py.File(h5_path, "r") as f:
                    got["h5py"] = f["a"][...]
        steps += [h5py_save, h5py_load]
    steps += [lambda: a.save_h5(pa_h5_path, "/a"),
              lambda: got.__setitem__("pa_h5", pa.load_h5(pa_h5_path, "/a"))]

    t = b.time_steps(steps)
    pool.shutdown()
    check(not leader or all(np.array_equal(x, data[i]) for i, x in enumerate(got["np"])),
          "np.load of the thread pool's files")
    check(got["pa"].shape == (rows, cols) and np.array_equal(got["pa"].local(), a.local()),
          "pa.load_files of a.save_files's files")
    check(np.array_equal(got["pa_h5"].local(), a.local()), "pa.load_h5 of a.save_h5's file")
    nbytes = rows * cols * 8
    figs = [b.add(EXPERIMENT, m, role, t[k], nbytes, "B", "GB/s", nbytes) for k, (m, role) in
            enumerate((("np.save, 2-thread pool (rank 0)", "naive"),
                       ("a.save_files, every rank", "parray"),
                       ("np.load, 2-thread pool (rank 0)", "naive"),
                       ("pa.load_files, every rank", "parray")))]
    b.pair(figs[1], figs[0], "thread pool")
    b.pair(figs[3], figs[2], "thread pool", 1.8 if ctx.size >= 2 else None)
    pa_h5 = [b.add(EXPERIMENT, m, "parray", t[-2 + k], nbytes, "B", "GB/s", nbytes)
             for k, m in enumerate(("a.save_h5, every rank", "pa.load_h5, every rank"))]
    if h5py:
        who = "every rank, mpio" if mpio else "rank 0, serial"
        check(not (mpio or leader) or np.array_equal(
            got["h5py"], data if not mpio else a.local().reshape(-1, cols)), "h5py's read")
        h5 = [b.add(EXPERIMENT, f"h5py {m} ({who})", "naive", t[4 + k], nbytes, "B", "GB/s",
                    nbytes) for k, m in enumerate(("save", "load"))]
        for k in range(2):
            b.pair(pa_h5[k], h5[k], "h5py")
    else:
        b.note("io: h5py: not installed (Debian: python3-h5py-mpi)")
    b.note(f"io: files in {os.path.dirname(top)}; reads from the page cache; "
           "the many-files target (>= 1.8x) is set for 2 ranks or more")


def _rows(a, cols):
    """(first row, rows) of this rank's part of a 2-D array a."""
    return a.local_offset // cols, a.local().size // cols


if __name__ == "__main__":
    import sys
    example_main(sys.modules[__name__])
