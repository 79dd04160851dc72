"""The numpy side of bench/pool-matrix.mjs: the logistic sigmoid applied in
place to a 4096 x 4096 float64 matrix held in multiprocessing.shared_memory,
once by one process and once by a multiprocessing.Pool(2) of processes that
attach to the same block, each doing ranges of rows, nothing copied.

    python3 matrix_numpy.py 4096 16    # rows (= columns), chunks of rows for the pool

Prints one JSON line: {"numpy": false} if numpy cannot be imported; otherwise
the seconds of the one-process and the two-process run and whether sampled
elements hold the expected values. The matrix is filled with the same values
as the node side, ((i mod 2001) - 1000) / 100, before each run (not timed).
"""

import json
import sys
import time
from multiprocessing import Pool, shared_memory

try:
    import numpy as np
except ImportError:
    print(json.dumps({'numpy': False}))
    sys.exit(0)

WORKERS = 2
block = None
matrix = None


def attach(name, rows, columns):
    """Pool initializer: map the parent's block as the same matrix."""
    global block, matrix
    block = shared_memory.SharedMemory(name=name)
    matrix = np.ndarray((rows, columns), dtype=np.float64, buffer=block.buf)


def sigmoid_in_place(view):
    """1 / (1 + exp(-x)) with every step writing into `view`: no temporaries."""
    np.negative(view, out=view)
    np.exp(view, out=view)
    view += 1.0
    np.reciprocal(view, out=view)


def sigmoid_rows(bounds):
    start, stop = bounds
    sigmoid_in_place(matrix[start:stop])
    return stop - start


def fill(m):
    m.reshape(-1)[:] = ((np.arange(m.size) % 2001) - 1000) / 100.0


def correct(m):
    flat = m.reshape(-1)
    sample = np.arange(0, flat.size, 9973)
    expected = 1.0 / (1.0 + np.exp(-(((sample % 2001) - 1000) / 100.0)))
    return bool(np.allclose(flat[sample], expected, rtol=0, atol=1e-12))


def main():
    rows, chunks = int(sys.argv[1]), int(sys.argv[2])
    columns = rows
    own = shared_memory.SharedMemory(create=True, size=rows * columns * 8)
    try:
        m = np.ndarray((rows, columns), dtype=np.float64, buffer=own.buf)
        step = rows // chunks
        ranges = [(start, min(rows, start + step)) for start in range(0, rows, step)]

        fill(m)
        started = time.perf_counter()
        sigmoid_in_place(m)
        one = time.perf_counter() - started
        one_ok = correct(m)

        with Pool(WORKERS, initializer=attach, initargs=(own.name, rows, columns)) as pool:
            pool.map(sigmoid_rows, [(0, 1)] * (4 * WORKERS))  # every worker started and attached
            fill(m)
            started = time.perf_counter()
            pool.map(sigmoid_rows, ranges, chunksize=1)
            two = time.perf_counter() - started
            two_ok = correct(m)
        del m
    finally:
        own.close()
        own.unlink()
    print(json.dumps({'numpy': np.__version__, 'one': one, 'two': two, 'correct': one_ok and two_ok}))


if __name__ == '__main__':
    main()
