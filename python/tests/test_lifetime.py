"""Arrays that Python drops are freed at the next creating call, over the
ids every rank released; with blocks and free() free at once."""
import gc

import numpy as np
import pytest

import parray as pa
from conftest import check


def settled():
    gc.collect()
    pa.collect()
    return pa.live_arrays()


def test_loops_do_not_leak():
    base = settled()
    a = pa.ones(1000)
    for _ in range(40):
        a = a * 1.0 + 1  # two temporaries a turn, dropped at once
    check(a.sum() == 41 * 1000, "the loop's result")
    check(pa.live_arrays() <= base + 4, "temporaries freed as the loop ran")
    del a
    check(settled() == base, "all freed")


def test_drops_in_different_orders(ctx):
    base = settled()
    arrays = [pa.full(10, i) for i in range(6)]
    order = list(range(6))
    np.random.default_rng(ctx.rank).shuffle(order)  # another order on every rank
    for i in order:
        arrays[i] = None
        if i % 2:
            gc.collect()
    check(settled() == base, "every dropped array freed, whatever the order")
    counts = ctx.comm.allgather(pa.live_arrays())
    check(len(set(counts)) == 1, "the same live count on every rank")


def test_kept_on_one_rank_is_not_freed(ctx):
    base = settled()
    x = pa.zeros(10)
    keep = x if ctx.rank == 0 else None
    del x
    check(settled() == base + 1, "rank 0 still holds it: nobody frees it")
    # rank 0 alone may use it, through calls that are not collective
    check(keep is None or not keep.local().any(), "and rank 0 can still use it")
    del keep
    check(settled() == base, "freed once every rank let go")


def test_with_and_free_are_immediate():
    base = settled()
    with pa.zeros(100) as a:
        check(pa.live_arrays() == base + 1, "alive in the block")
    check(a.freed and pa.live_arrays() == base, "freed at the end of the block")
    with pytest.raises(pa.Error) as e:
        a.sum()
    check(e.value.name == "PA_ESTATE", "a freed array refuses calls")
    b = pa.zeros(10)
    v = b.local()
    with pytest.raises(pa.Error):
        b.free()  # views alive somewhere: refused on every rank
    del v
    b.free()
    check(b.freed and pa.live_arrays() == base, "free() once the views are gone")
