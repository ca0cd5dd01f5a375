#!/usr/bin/env python3
"""Writes tests/data/chunked.h5, the fixture of chunked and compressed datasets
that parray reads chunk by chunk (tests/test_h5.c, tests/h5.sh), the way h5py
users write them: chunks that cut rows and columns, odd chunk sizes, h5py's own
chunks (chunks=True), gzip levels, shuffle, fletcher32 (also applied before the
other filters), both byte orders, datasets written only in part, szip, and lzf
(a filter parray's HDF5 lacks).

usage: /usr/bin/python3 tests/data/make_chunked.py [OUT.h5]   (needs h5py)
The file is committed, so the tests run where h5py is missing; tests/h5.sh
runs this script again into a temporary directory where h5py is installed.
"""
import sys

import h5py
import numpy as np


def values(shape, dtype):
    n = int(np.prod(shape))
    a = np.arange(n, dtype=np.float64)
    if np.dtype(dtype).kind == 'f':
        a = a * 0.5 - 7
    elif np.dtype(dtype).kind == 'u':
        a = a % 251
    else:
        a = a * 3 - 1000
    return a.astype(dtype).reshape(shape)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else 'tests/data/chunked.h5'
    with h5py.File(out, 'w', libver='earliest') as f:
        def full(name, shape, dtype='f8', **kw):
            f.create_dataset(name, data=values(shape, dtype), **kw)

        full('rows_cut', (300, 30), chunks=(37, 30))             # whole rows, odd count
        full('odd', (297, 31), chunks=(37, 7))                   # rows and columns cut, edges
        full('rows_filters', (300, 30), 'f4', chunks=(37, 30), shuffle=True, compression='gzip',
             fletcher32=True)                                    # whole rows, decoded in place
        full('auto', (400, 40), chunks=True)                     # h5py's choice: (100, 10)
        full('auto_gzip', (2000, 33), 'i4', chunks=True, compression='gzip')  # (250, 9)
        for level in (1, 6, 9):
            full(f'gzip{level}', (400, 30), chunks=(50, 7), compression='gzip',
                 compression_opts=level)
        full('shuffle_gzip', (400, 30), 'f4', chunks=(64, 10), shuffle=True, compression='gzip')
        full('fletcher32', (200, 30), chunks=(50, 7), fletcher32=True)
        full('all_filters', (399, 31), 'i8', chunks=(64, 8), shuffle=True, compression='gzip',
             fletcher32=True)
        # Whole rows with fletcher32 applied first, as the C API writes it when
        # H5Pset_fletcher32 comes before the other filters: the checksum is
        # inside the deflate stream, or shuffled with the data.
        for name, second in (('fletcher_deflate', 'deflate'), ('fletcher_shuffle', 'shuffle')):
            dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
            dcpl.set_fletcher32()
            if second == 'deflate':
                dcpl.set_deflate(4)
            else:
                dcpl.set_shuffle()
            full(name, (296, 30), 'f4', chunks=(37, 30), dcpl=dcpl)
        full('big_endian', (300, 20), '>f8', chunks=(33, 6), shuffle=True, compression='gzip')
        full('one_d', (10007,), chunks=(1000,), compression='gzip')
        full('three_d', (41, 6, 5), chunks=(7, 4, 3), compression='gzip', shuffle=True)
        full('u8', (300, 13), 'u1', chunks=(40, 5), compression='gzip', shuffle=True)
        f.create_dataset('random_gzip', data=np.random.default_rng(7).random((200, 16)),
                         chunks=(25, 16), compression='gzip')
        full('szip', (400, 30), chunks=(50, 7), compression='szip')
        full('lzf', (100, 10), chunks=(10, 10), compression='lzf')
        # Written only in part: the other chunks are never allocated.
        for name, kw in (('partial', {}), ('partial_gzip', {'compression': 'gzip'}),
                         ('partial_szip', {'compression': 'szip'})):
            d = f.create_dataset(name, (400, 30), 'f8', chunks=(50, 7), **kw)
            d[0:75, 0:10] = 1.5
            d[350:, 25:] = values((50, 5), 'f8')
        d = f.create_dataset('partial_fill', (400, 30), 'f8', chunks=(50, 7), fillvalue=-2.0)
        d[200:] = 3
        f.create_dataset('empty_gzip', (100, 9), 'i4', chunks=(10, 3), compression='gzip',
                         fillvalue=5)


main()
