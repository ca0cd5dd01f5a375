"""Builds the extension parray._parray against an installed libparray, found
with pkg-config (PKG_CONFIG_PATH=<prefix>/lib/pkgconfig for a prefix of your
own). Offline, into a venv that sees the system's numpy:

    pip install --no-build-isolation ./python
"""
import glob
import os
import shlex
import subprocess

import numpy
from setuptools import Extension, setup


def pkg_config(*args):
    try:
        out = subprocess.run(["pkg-config", *args, "parray"], check=True,
                             capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise SystemExit("parray: pkg-config cannot find parray.pc: install libparray "
                         "(make install) and set PKG_CONFIG_PATH to <prefix>/lib/pkgconfig "
                         f"({e})")
    return shlex.split(out)


# MPI's headers come through parray.pc's Requires; without an MPI module
# there, build with CC=mpicc.
os.environ.setdefault("CC", os.environ.get("MPICC", "mpicc"))
here = os.path.dirname(os.path.abspath(__file__))
cflags, libs = pkg_config("--cflags"), pkg_config("--libs")

setup(
    packages=["parray", "parray.examples"],
    package_dir={"parray.examples": "examples"},
    ext_modules=[Extension(
        "parray._parray",
        sources=sorted(os.path.relpath(p, here)
                       for p in glob.glob(os.path.join(here, "parray", "*.c"))),
        depends=[os.path.join("parray", "_parray.h")],
        include_dirs=[numpy.get_include()],
        extra_compile_args=["-std=c11", "-D_GNU_SOURCE", *cflags],
        extra_link_args=libs,
    )],
)
