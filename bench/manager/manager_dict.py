"""The CPython peer of bench/manager-dict.mjs: a multiprocessing.Manager().dict()
used from `clients` child processes at once. Each child waits at a barrier,
sets n items (keys 'c{client}key0'..'c{client}key{k-1}' in turn, values
0..n-1), waits at the barrier again, gets them back and sums the values; it
times each phase on its own clock and sends the figures to the parent, which
prints one JSON line. Manager and process start-up are not timed, nor a
warm-up of WARMUP sets and gets."""

import json
import sys
import time
from multiprocessing import Barrier, Manager, Process, Queue


WARMUP = 10_000


def child(d, client, n, keys, barrier, out):
    names = [f'c{client}key{i}' for i in range(keys)]
    # Untimed warm-up, as the weft clients make (the same count).
    for i in range(WARMUP):
        d[names[i % keys]] = i
        d[names[i % keys]]
    barrier.wait()
    started = time.perf_counter()
    for i in range(n):
        d[names[i % keys]] = i
    set_done = time.perf_counter()
    barrier.wait()
    get_started = time.perf_counter()
    total = 0
    for i in range(n):
        total += d[names[i % keys]]
    get_done = time.perf_counter()
    out.put((set_done - started, get_done - get_started, total))


if __name__ == '__main__':
    n = int(sys.argv[1])
    keys = int(sys.argv[2])
    clients = int(sys.argv[3])
    with Manager() as manager:
        shared = manager.dict()
        barrier = Barrier(clients)
        results = Queue()
        processes = [Process(target=child, args=(shared, c, n, keys, barrier, results)) for c in range(clients)]
        for p in processes:
            p.start()
        figures = [results.get() for _ in processes]
        for p in processes:
            p.join()
        size = len(shared)
    print(json.dumps({
        'ops': n * clients,
        'setSeconds': max(f[0] for f in figures),
        'getSeconds': max(f[1] for f in figures),
        'sum': sum(f[2] for f in figures),
        'size': size,
    }))
