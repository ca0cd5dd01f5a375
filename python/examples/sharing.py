"""Sharing an array between processes: rank 0's array of --bytes made
available to the other ranks of its node, which then read all of it (a
sum). The tutorial's ways: pickling it through a multiprocessing pipe to a
worker process, and mpi4py's Bcast of the numpy array. parray's way: the
array lives in the node-shared window, so a.sync() makes rank 0's writes
visible and the other ranks read a.node() in place; pa.replicate(ndarray),
which copies a numpy array into such a window once, is timed too. Each node
does the same, from its first rank.

    mpirun -n 2 python3 sharing.py [--bytes 8e8] [--quick]
"""
import multiprocessing

import numpy as np

import parray as pa
from parray.benchkit import check, example_main

EXPERIMENT = "sharing"
SIZES = {"--bytes": ("bytes of the array", 8e8, 2e7)}


def sizes(args):
    return f"{args.bytes / 1e6:g} MB of f64 from each node's first rank to the others"


def _worker(conn):
    """The multiprocessing worker: sums each array it is sent."""
    while True:
        x = conn.recv()
        if x is None:
            return
        conn.send(float(np.sum(x)))


def run(b, args):
    ctx = pa.context()
    n = int(args.bytes) // 8
    leader = ctx.node_rank == 0
    receiver = not leader or ctx.node_size == 1  # alone on a node, the leader reads too
    src = np.random.default_rng(1).random(n) if leader else None
    want = float(np.sum(src)) if leader else None
    sums = {}

    shared = pa.empty((n,), dist="replicated")
    if leader:
        shared.node()[:] = src  # rank 0 makes its data in the shared window
    view = shared.node()
    own = np.random.default_rng(1).random(n)  # every rank's own array, the limit

    def own_sum():
        if receiver:
            sums["own"] = float(np.sum(own))

    def node_view():
        shared.sync()
        if receiver:
            sums["view"] = float(np.sum(view))

    def replicate():
        t = pa.replicate(src if ctx.rank == 0 else None)  # one copy per node
        if receiver:
            sums["replicate"] = float(np.sum(t.node()))
        t.free()

    buf = src if leader else np.empty(n)

    def bcast():
        ctx.node_comm.Bcast(buf, root=0)
        if receiver:
            sums["bcast"] = float(np.sum(buf))

    if leader:
        mp = multiprocessing.get_context("fork")
        parent, child = mp.Pipe()
        worker = mp.Process(target=_worker, args=(child,), daemon=True)
        worker.start()

    def pickling():
        if leader:
            parent.send(src)
            sums["pickle"] = parent.recv()

    t = b.time_steps([own_sum, node_view, replicate, bcast, pickling])
    if leader:
        parent.send(None)
        worker.join()
    mine = sums["own"] if receiver else None
    check(not receiver or all(sums[k] == mine for k in ("view", "replicate", "bcast")),
          "the receivers' sums of the shared, replicated and broadcast arrays")
    check(not leader or sums["pickle"] == want, "the worker's sum of the pickled array")

    nb = 8 * n
    own_row = b.add(EXPERIMENT, "receivers sum an array of their own", "limit", t[0], nb, "B",
                    "s")
    view_row = b.add(EXPERIMENT, "parray node view: a.sync(), read in place", "parray", t[1],
                     nb, "B", "s")
    rep_row = b.add(EXPERIMENT, "pa.replicate(ndarray), read in place", "parray", t[2], nb,
                    "B", "s")
    b.pair(view_row, own_row, "own array")
    bc = b.add(EXPERIMENT, "mpi4py Bcast of the numpy array, then read", "naive", t[3], nb,
               "B", "s")
    b.pair(view_row, bc, "mpi4py Bcast", 3.5)
    b.pair(rep_row, bc, "mpi4py Bcast")
    pk = b.add(EXPERIMENT, "multiprocessing pipe (pickled), worker reads", "naive", t[4], nb,
               "B", "s")
    b.pair(view_row, pk, "multiprocessing pickling", 10.0)
    b.note("sharing: each figure includes the receivers' read (a sum) of the whole array")


if __name__ == "__main__":
    import sys
    example_main(sys.modules[__name__])
