"""HDF5, attributes, many files, one big .npy or CSV file."""
import os

import numpy as np
import pytest

import parray as pa
from conftest import check


def test_h5_round_trip_read_by_h5py(ctx, tmpdir_shared):
    path = os.path.join(tmpdir_shared, "x.h5")
    a = pa.random.uniform((101, 4), seed=5)
    want = a.to_numpy(root=None)
    a.save_h5(path, "/g/x")
    pa.save_h5(pa.arange(7, dtype=np.int16), path, "y", chunked=True)
    b = pa.load_h5(path, "/g/x")
    check(b.dtype == np.float64 and np.array_equal(b.to_numpy(root=None), want), "load_h5")
    r = pa.load_h5(path, "y", dist="replicated")
    check(r.dist == "replicated" and np.array_equal(r.node(), np.arange(7)), "replicated load")
    check(pa.h5_info(path, "/g/x") == (np.dtype(np.float64), (101, 4)), "h5_info")
    try:
        import h5py
    except ImportError:
        h5py = None
    ok = True
    if ctx.rank == 0 and h5py is not None:
        with h5py.File(path, "r") as f:
            ok = np.array_equal(f["/g/x"][...], want) and f["y"].dtype == np.int16
    check(ok, "h5py reads what parray saved")


def test_attributes(tmpdir_shared):
    path = os.path.join(tmpdir_shared, "attr.h5")
    pa.zeros(3).save_h5(path, "d")
    pa.set_attr(path, "d", "units", "m/s")
    pa.set_attr(path, "/", "count", 2**40 + 3)
    pa.set_attr(path, "d", "scale", 0.125)
    check(pa.get_attr(path, "d", "units") == "m/s", "string attribute")
    check(pa.get_attr(path, "/", "count") == 2**40 + 3, "int attribute, exact")
    check(pa.get_attr(path, "d", "scale") == 0.125, "float attribute")
    with pytest.raises(pa.Error) as e:
        pa.get_attr(path, "d", "missing")
    check(e.value.name == "PA_EIO", "a missing attribute is PA_EIO everywhere")


def test_load_errors_raise_everywhere(tmpdir_shared):
    with pytest.raises(pa.Error) as e:
        pa.load_h5(os.path.join(tmpdir_shared, "none.h5"), "x")
    check(e.value.name == "PA_EIO" and "none.h5" in e.value.message, "missing file")


def test_many_files(ctx, tmpdir_shared):
    rows = np.arange(9 * 6, dtype=np.int32).reshape(9, 2, 3)
    if ctx.rank == 0:
        for i, row in enumerate(rows):
            np.save(os.path.join(tmpdir_shared, f"in-{i}.npy"), row)
    ctx.comm.Barrier()
    paths = [os.path.join(tmpdir_shared, f"in-{i}.npy") for i in range(9)]
    a = pa.load_files(paths, threads=2)
    check(a.shape == (9, 2, 3) and np.array_equal(a.to_numpy(root=None), rows), "load_files")
    pa.save_files(a * 2, os.path.join(tmpdir_shared, "out-%02d.npy"))
    ok = True
    if ctx.rank == 0:
        ok = all(np.array_equal(np.load(os.path.join(tmpdir_shared, f"out-{i:02d}.npy")),
                                rows[i] * 2) for i in range(9))
    check(ok, "save_files wrote one .npy per row")


def test_one_npy_and_csv(ctx, tmpdir_shared):
    big = np.arange(40, dtype=np.float32).reshape(10, 4)
    npy, csv = (os.path.join(tmpdir_shared, n) for n in ("big.npy", "t.csv"))
    if ctx.rank == 0:
        np.save(npy, big)
        np.savetxt(csv, big, delimiter=",")
    ctx.comm.Barrier()
    check(np.array_equal(pa.load_npy(npy).to_numpy(root=None), big), "load_npy")
    c = pa.load_csv(csv, dtype=np.float32)
    check(c.dtype == np.float32 and np.array_equal(c.to_numpy(root=None), big), "load_csv")
