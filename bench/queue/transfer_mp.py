"""queue-transfer with CPython's multiprocessing.Queue: a producer Process puts
N dicts {'i': i, 's': 'x'}, a consumer Process gets them and sums i.

Only the transfer is timed: both processes start, meet the parent at a
barrier and wait for "go"; the parent reads time.perf_counter() just before
setting "go", the consumer just after its last get (perf_counter is
CLOCK_MONOTONIC on Linux, one clock for every process). Prints one JSON line:
{"items": N, "seconds": ..., "sum": ...}.

Usage: python3 transfer_mp.py [N]
"""

import json
import multiprocessing
import sys
import time


def produce(queue, ready, go, n):
    ready.wait()
    go.wait()
    for i in range(n):
        queue.put({'i': i, 's': 'x'})


def consume(queue, ready, go, n, total, done_at):
    ready.wait()
    go.wait()
    s = 0
    for _ in range(n):
        s += queue.get()['i']
    done_at.value = time.perf_counter()
    total.value = s


if __name__ == '__main__':
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    queue = multiprocessing.Queue()
    ready = multiprocessing.Barrier(3)
    go = multiprocessing.Event()
    total = multiprocessing.Value('q', 0, lock=False)
    done_at = multiprocessing.Value('d', 0.0, lock=False)
    parties = [
        multiprocessing.Process(target=produce, args=(queue, ready, go, n)),
        multiprocessing.Process(target=consume, args=(queue, ready, go, n, total, done_at)),
    ]
    for party in parties:
        party.start()
    ready.wait()
    started = time.perf_counter()
    go.set()
    for party in parties:
        party.join()
    print(json.dumps({'items': n, 'seconds': done_at.value - started, 'sum': total.value}))
