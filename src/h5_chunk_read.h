/* Reading a dataset's rows into an array, by the dataset's layout. A
 * chunked dataset whose filters parray can undo itself (none, deflate,
 * shuffle, fletcher32) is read chunk by chunk by every rank straight from
 * the file, with the chunks' places asked of HDF5; every other dataset
 * goes through HDF5's own read (h5.c's pa__h5_move).
 *
 * Protocol: h5.c's pa__h5_read_end calls it once per read, on every rank,
 * with the dataset open on the job's communicator:
 *
 *     rc = pa__h5_chunk_read(rd, a, base);
 *     if (rc == PA_OK)
 *         rc = pa__array_sync(a);   // publish the rows to the node's ranks
 */
#ifndef PARRAY_SRC_H5_CHUNK_READ_H
#define PARRAY_SRC_H5_CHUNK_READ_H

#include <hdf5.h>

#include "h5.h"

/* Collective. Reads the rows of a (array row i = dataset row base + i) of
 * the dataset of the read rd (open as rd->d, read collectively when
 * rd->collective), into a's node block:
 * - chunked, with no filter or only deflate, shuffle and fletcher32 (the
 *   checksum verified): the node's ranks share the node's chunks, each
 *   reading and decoding its own in this process, so decompression scales
 *   with the ranks; chunks that were never written read as the fill value
 *   (zero when the dataset has none). The transfer mode is not used.
 * - chunked with a filter that HDF5 applies (szip, nbit, scaleoffset, a
 *   plugin that HDF5 finds): HDF5's read, with a chunk cache that holds a
 *   band of chunks; collective (when asked) and, if that fails, again
 *   independent.
 * - chunked with a filter that this HDF5 lacks: PA_ENOTSUP naming the
 *   filter and its id, and how to convert the file (h5repack).
 * - contiguous or compact: HDF5's read (collective when asked), or the fill
 *   value when the dataset's space was never allocated.
 * Returns the agreed outcome. */
int pa__h5_chunk_read(const pa__h5_read *rd, pa_array *a, size_t base);

#endif
