"""queue-transfer with CPython's queue.Queue between two threads: a producer
thread puts N dicts {'i': i, 's': 'x'}, a consumer thread gets them and sums i.

Only the transfer is timed: both threads start, meet the main thread at a
barrier and wait for "go"; the main thread reads time.perf_counter() just
before setting "go", the consumer just after its last get. Prints one JSON
line: {"items": N, "seconds": ..., "sum": ...}.

Usage: python3 transfer_threading.py [N]
"""

import json
import queue
import sys
import threading
import time


def produce(q, ready, go, n):
    ready.wait()
    go.wait()
    for i in range(n):
        q.put({'i': i, 's': 'x'})


def consume(q, ready, go, n, out):
    ready.wait()
    go.wait()
    s = 0
    for _ in range(n):
        s += q.get()['i']
    out['done_at'] = time.perf_counter()
    out['sum'] = s


if __name__ == '__main__':
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    q = queue.Queue()
    ready = threading.Barrier(3)
    go = threading.Event()
    out = {}
    parties = [
        threading.Thread(target=produce, args=(q, ready, go, n)),
        threading.Thread(target=consume, args=(q, ready, go, n, out)),
    ]
    for party in parties:
        party.start()
    ready.wait()
    started = time.perf_counter()
    go.set()
    for party in parties:
        party.join()
    print(json.dumps({'items': n, 'seconds': out['done_at'] - started, 'sum': out['sum']}))
