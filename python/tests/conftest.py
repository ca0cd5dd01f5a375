"""pytest on every rank of an MPI job: parray starts once per process (over
mpi4py's COMM_WORLD, which also tests init(comm=)), and each test's outcome
is agreed over the ranks after it ran, so a test that fails on one rank
fails on every rank. Tests assert collective facts with `check` (an
agreement, then an assert on every rank), so that no rank leaves a test
early while the others go on into a collective call."""
import os
import shutil
import tempfile

import numpy as np
import pytest
from mpi4py import MPI

import parray as pa

CTX = pa.init(comm=MPI.COMM_WORLD)


def check(cond, what=""):
    """Collective assert: true on every rank, else AssertionError on every
    rank naming the lowest rank where it failed."""
    bad = pa.agree(bool(cond))
    assert bad == -1, f"{what}: failed on rank {bad}"


@pytest.fixture
def ctx():
    return CTX


@pytest.fixture
def comm():
    return CTX.comm


@pytest.fixture
def tmpdir_shared():
    """A temporary directory that every rank sees (rank 0 makes it)."""
    path = tempfile.mkdtemp(prefix="parray-pytest.") if CTX.rank == 0 else None
    path = CTX.comm.bcast(path, root=0)
    yield path
    CTX.comm.Barrier()
    if CTX.rank == 0:
        shutil.rmtree(path, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call":
        return
    bad = pa.agree(not report.failed)
    if bad != -1 and not report.failed:
        report.outcome = "failed"
        report.longrepr = f"failed on rank {bad} (see that rank's output)"


DTYPES = [np.float64, np.float32, np.float16, np.int64, np.int32, np.int16, np.int8,
          np.uint64, np.uint32, np.uint16, np.uint8, np.bool_]
