"""The CPython peer of bench/dict-ops.mjs: a multiprocessing.Manager().dict()
used from a child process. The child sets n items (keys 'key0'..'key{k-1}'
in turn, values 0..n-1), then gets them back and sums the values; it times
each phase on its own clock and sends the figures to the parent, which
prints one JSON line. Manager start-up and process start-up are not timed."""

import json
import sys
import time
from multiprocessing import Manager, Process, Queue


def child(d, n, keys, out):
    names = [f'key{i}' for i in range(keys)]
    started = time.perf_counter()
    for i in range(n):
        d[names[i % keys]] = i
    set_done = time.perf_counter()
    total = 0
    for i in range(n):
        total += d[names[i % keys]]
    get_done = time.perf_counter()
    out.put((set_done - started, get_done - set_done, total))


if __name__ == '__main__':
    n = int(sys.argv[1])
    keys = int(sys.argv[2])
    with Manager() as manager:
        shared = manager.dict()
        results = Queue()
        process = Process(target=child, args=(shared, n, keys, results))
        process.start()
        set_seconds, get_seconds, total = results.get()
        process.join()
        size = len(shared)
    print(json.dumps({'ops': n, 'setSeconds': set_seconds, 'getSeconds': get_seconds, 'sum': total, 'size': size}))
