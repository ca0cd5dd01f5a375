"""The five experiments of the tutorial parray grew from, each the
tutorial's way in plain Python and numpy beside parray's way, timed side by
side in one run. Each module runs on its own under mpirun
(`mpirun -n 2 python3 -m parray.examples.elementwise`, or the file itself),
and `python -m parray.bench` runs all five into one table."""
