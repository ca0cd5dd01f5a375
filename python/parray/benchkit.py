"""What the examples (python/examples/, installed as parray.examples) and
`python -m parray.bench` share: timing steps side by side, the figures they
give, the machine's CPU and load, and the table `parray bench` prints.

A repetition of a set of paired steps runs every step in turn, so that a
load that comes and goes weighs on all of them alike. Each step starts
after a barrier and is timed on every rank by its own clock; its time is
the slowest rank's. Ranks with nothing to do in a step (the tutorial's ways
run on rank 0) wait for the next step asleep, not spinning in MPI, so that
they leave rank 0 the cores. They need mpi4py (the sharing experiment
times its Bcast)."""
import json
import os
import resource
import time

import numpy as np
from mpi4py import MPI

import parray as pa


class Bench:
    """Figures of one run: the steps' times, ratios and targets, printed
    by rank 0 as one table."""

    def __init__(self, reps=3, warmup=1):
        self.ctx = pa.context()
        self.reps, self.warmup = reps, warmup
        self.rows = []
        self.notes = []
        self.busy = []
        self.comm = self.ctx.comm  # parray's own, as an mpi4py communicator

    # --- timing -----------------------------------------------------------
    def _quiet_barrier(self):
        """A barrier that sleeps while it waits."""
        req = self.comm.Ibarrier()
        while not req.Test():
            time.sleep(0.0002)

    def _max(self, t):
        return self.comm.allreduce(t, op=MPI.MAX)

    def time_steps(self, steps):
        """steps: callables, run in turn in every repetition. Returns each
        step's times in seconds over the measured repetitions (the slowest
        rank's), the same on every rank."""
        times = [[] for _ in steps]
        for rep in range(self.warmup + self.reps):
            for k, step in enumerate(steps):
                self._quiet_barrier()
                self.comm.Barrier()  # a tight start for collective steps
                t0 = time.perf_counter()
                step()
                t = time.perf_counter() - t0
                self._quiet_barrier()
                if rep >= self.warmup:
                    times[k].append(self._max(t))
        return times

    # --- figures ----------------------------------------------------------
    def add(self, experiment, method, role, times, size, size_unit, unit, work=None,
            calls=None):
        """One figure. unit 'GB/s' (work bytes), 'GFLOP/s' (work flops),
        's' (the time), or 'us' (per call: calls per repetition)."""
        if unit in ("GB/s", "GFLOP/s"):
            values = [work / t / 1e9 for t in times]
        elif unit == "us":
            values = [t / calls * 1e6 for t in times]
        else:
            values = list(times)
        row = {"experiment": experiment, "method": method, "role": role, "size": size,
               "size_unit": size_unit, "unit": unit, "median": float(np.median(values)),
               "min": min(values), "max": max(values), "times_s": list(times),
               "reps": self.reps, "warmup": self.warmup, "vs": [],
               "layout": {"ranks": self.ctx.size, "nodes": self.ctx.nnodes}}
        if work is not None:
            row["work"] = work
        if calls is not None:
            row["calls"] = calls
        self.rows.append(row)
        return row

    @staticmethod
    def speed(row):
        """How fast a figure is, larger is faster, whatever its unit."""
        return 1.0 / row["median"] if row["unit"] in ("s", "us") else row["median"]

    def pair(self, row, base, label, bound=None):
        """row's speed relative to base's (2 = twice as fast); with bound,
        the target row >= bound x base. A row may pair with several."""
        ratio = self.speed(row) / self.speed(base)
        target = None
        if bound is not None:
            target = {"kind": "ratio", "bound": ">=", "value": bound, "measured": ratio,
                      "met": ratio >= bound}
        row["vs"].append({"label": label, "ratio": ratio, "target": target})

    def within(self, row, base, label, us):
        """Target: row's time per call at most us more than base's."""
        diff = row["median"] - base["median"]
        row["vs"].append({"label": label, "ratio": self.speed(row) / self.speed(base),
                          "target": {"kind": "diff_us", "bound": "<=", "value": us,
                                     "measured": diff, "met": diff <= us}})

    def note(self, text):
        self.notes.append(text)

    # --- the machine ------------------------------------------------------
    @staticmethod
    def cpu_model():
        try:
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith(("model name", "Processor", "cpu model")):
                        return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return "unknown"

    @staticmethod
    def _stat():
        """(busy, steal, total) CPU ticks of the host."""
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        idle = v[3] + (v[4] if len(v) > 4 else 0)
        steal = v[7] if len(v) > 7 else 0
        return sum(v) - idle - steal, steal, sum(v)

    def _own_cpu(self):
        """CPU seconds of this job's ranks on rank 0's host (and their children)."""
        r = resource.getrusage(resource.RUSAGE_SELF)
        c = resource.getrusage(resource.RUSAGE_CHILDREN)
        mine = r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime
        host = self.comm.allgather((self.ctx.node, mine))
        return sum(t for n, t in host if n == host[0][0])

    def load_begin(self):
        """Start watching the load (collective)."""
        own = self._own_cpu()
        self._load0 = (os.getloadavg()[0], self._stat(), own, time.monotonic())

    def load_end(self, experiment):
        """Judge the load since load_begin (collective): BUSY when other
        processes used more than 10% of the cores, steal passed 3%, or the
        load average less our ranks passed the cores."""
        own = self._own_cpu()
        la0, (b0, s0, t0), own0, w0 = self._load0
        b1, s1, t1 = self._stat()
        cores = os.cpu_count() or 1
        wall = time.monotonic() - w0
        tick = os.sysconf("SC_CLK_TCK")
        others = max(0.0, ((b1 - b0) / tick - (own - own0)) / wall) if wall > 0 else 0.0
        steal = (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0
        ranks_here = sum(1 for n in self._nodes() if n == self._nodes()[0])
        la1 = os.getloadavg()[0]
        why = []
        if wall >= 1 and others > 0.1 * cores:
            why.append(f"other processes used {others:.1f} of {cores} cores")
        if steal > 0.03:
            why.append(f"steal {steal:.0%}")
        if max(la0, la1) - ranks_here > cores:
            why.append(f"load average {max(la0, la1):.2f} on {cores} cores")
        load = {"loadavg_before": la0, "loadavg_after": la1, "others_cores": others,
                "steal": steal, "cores": cores, "busy": bool(why), "why": why}
        for row in self.rows:
            if row["experiment"] == experiment:
                row["load"] = load
        if why:
            self.busy.append(experiment)
            self.note(f"load: BUSY during {experiment}: {'; '.join(why)}")

    def _nodes(self):
        if not hasattr(self, "_node_list"):
            self._node_list = self.comm.allgather(self.ctx.node)
        return self._node_list

    # --- output (rank 0) --------------------------------------------------
    def header(self, title, sizes):
        if self.ctx.rank != 0:
            return
        c = self.ctx
        print(f"{title}: {c.size} rank{'s' if c.size > 1 else ''} on {c.nnodes} "
              f"node{'s' if c.nnodes > 1 else ''}, host {c.hostname}, {os.cpu_count()} cores; "
              f"{self.reps} reps after {self.warmup} warm-up")
        print(f"cpu: {self.cpu_model()}")
        print(f"sizes: {sizes}")
        print(f"load: 1-minute load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} "
              "cores before the run; checked around each experiment")
        print("vs: speed relative to the paired figure named (measured side by side in each "
              "repetition; 2.00x = twice as fast)", flush=True)

    @staticmethod
    def _target_text(t):
        if t is None:
            return ""
        met = "met" if t["met"] else "not met"
        if t["kind"] == "diff_us":
            return f"<=+{t['value']:g} us: {met} ({t['measured']:+.2f} us)"
        return f">={t['value']:g}x: {met}"

    def table(self):
        """Prints the rows (rank 0), a line more for each further pairing,
        then the notes and the load verdict."""
        if self.ctx.rank != 0:
            return
        head = ("experiment", "method", "size", "median", "min", "max", "unit", "vs", "target")
        lines = []
        for r in self.rows:
            pairs = r["vs"] or [None]
            for k, v in enumerate(pairs):
                vs = f"{v['ratio']:.2f}x {v['label']}" if v else ""
                target = self._target_text(v["target"]) if v else ""
                if k == 0:
                    lines.append((r["experiment"], r["method"], _human(r["size"], r["size_unit"]),
                                  _num(r["median"]), _num(r["min"]), _num(r["max"]), r["unit"],
                                  vs, target))
                else:
                    lines.append(("", "", "", "", "", "", "", vs, target))
        widths = [max(len(x[i]) for x in lines + [head]) for i in range(len(head))]
        for line in [head] + lines:
            print("  ".join(x.ljust(w) for x, w in zip(line, widths)).rstrip())
        for n in self.notes:
            print(f"note: {n}")
        if self.busy:
            print(f"load: BUSY during {', '.join(self.busy)}: rerun on a quiet machine "
                  "before reading those figures as a verdict")
        else:
            print("load: the machine was quiet during the run")
        print(flush=True)

    def write_json(self, path, command):
        """One JSON object per figure per line (rank 0), as `parray bench --json`."""
        if self.ctx.rank != 0:
            return
        machine = {"hostname": self.ctx.hostname, "cores": os.cpu_count(),
                   "cpu_model": self.cpu_model()}
        with open(path, "w") as f:
            for r in self.rows:
                f.write(json.dumps(dict(r, machine=machine, command=command,
                                        date=time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                           time.gmtime()))) + "\n")


def _num(x):
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:.0f}"


def _human(size, unit):
    for scale, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if size >= scale:
            return f"{size / scale:.3g}{suffix}{unit}"
    return f"{size:g} {unit}"


def check(cond, what):
    """A collective check of a result: every rank raises together when it
    fails on some rank, so that no rank is left in the next collective call."""
    bad = pa.agree(bool(cond))
    if bad != -1:
        raise AssertionError(f"{what}: wrong on rank {bad}")


def parser(description):
    """A command line with the options every example and the bench take."""
    import argparse
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="small sizes (seconds)")
    p.add_argument("--reps", type=int, default=None,
                   help="measured repetitions (default 5, --quick 3)")
    p.add_argument("--warmup", type=int, default=1, help="unmeasured repetitions first")
    p.add_argument("--json", metavar="FILE", help="also write the figures as JSON lines")
    return p


def example_args(example, argv):
    """example's arguments from argv: the common options and its sizes.
    example.SIZES maps each size's option to (what it is, its default,
    its --quick default); a size not given gets the default of the mode."""
    p = parser(example.__doc__.split("\n\n")[0])
    for opt, (what, full, quick) in example.SIZES.items():
        p.add_argument(opt, type=float, help=f"{what} (default {full:g}, --quick {quick:g})")
    args = p.parse_args(argv)
    for opt, (_, full, quick) in example.SIZES.items():
        name = opt.lstrip("-").replace("-", "_")
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    return args


def start(args):
    """pa.init() and a Bench of args' repetitions (collective)."""
    if not pa._parray.initialized():
        pa.init()
    return Bench(reps=args.reps or (3 if args.quick else 5), warmup=args.warmup)


def measure(b, example, args):
    """Runs one example's steps into b, watching the load around it."""
    b.load_begin()
    example.run(b, args)
    b.load_end(example.EXPERIMENT)


def finish(b, args, argv):
    """The table, and the JSON lines when asked."""
    b.table()
    if args.json:
        b.write_json(args.json, " ".join(argv))


def example_main(example, argv=None):
    """The command line of an example module (its module docstring says
    it): example.SIZES are its sizes, example.sizes(args) describes them,
    example.run(bench, args) measures."""
    import sys
    argv = sys.argv[1:] if argv is None else argv
    args = example_args(example, argv)
    b = start(args)
    b.header(example.EXPERIMENT, example.sizes(args))
    measure(b, example, args)
    finish(b, args, [example.__name__] + argv)
