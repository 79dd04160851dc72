"""queue-mpmc with CPython's multiprocessing.Queue: P producer Processes and
C consumer Processes share one Queue(maxsize). Each producer puts its items
{'id': id, 't': time.perf_counter()}; each consumer records, per item, the
latency perf_counter() - t (perf_counter is CLOCK_MONOTONIC on Linux, one
clock for every process) and the id.

Only the transfer is timed: every process starts, meets the parent at a
barrier and waits for "go"; the clock runs from "go" to the last item taken
by any consumer. Once the producers have finished, the parent puts one None
per consumer to end them (not timed). Prints one JSON line: items/s inputs,
latency percentiles in milliseconds, and what the parent found when it
checked the ids (missing, duplicated, checksum).

Usage: python3 mpmc_mp.py PRODUCERS CONSUMERS MAXSIZE PER_PRODUCER
"""

import json
import math
import multiprocessing
import sys
import time


def produce(queue, ready, go, producer, per_producer):
    ready.wait()
    go.wait()
    base = producer * per_producer
    for i in range(per_producer):
        queue.put({'id': base + i, 't': time.perf_counter()})


def consume(queue, ready, go, results):
    ready.wait()
    go.wait()
    ids = []
    latencies = []
    last = 0.0
    while True:
        item = queue.get()
        if item is None:
            break
        last = time.perf_counter()
        latencies.append(last - item['t'])
        ids.append(item['id'])
    results.put((last, ids, latencies))


def percentile(values, q):
    return values[min(len(values) - 1, math.ceil(q * len(values)) - 1)]


if __name__ == '__main__':
    producers, consumers, maxsize, per_producer = (int(arg) for arg in sys.argv[1:5])
    total = producers * per_producer
    queue = multiprocessing.Queue(maxsize)
    results = multiprocessing.Queue()
    ready = multiprocessing.Barrier(producers + consumers + 1)
    go = multiprocessing.Event()
    making = [multiprocessing.Process(target=produce, args=(queue, ready, go, p, per_producer)) for p in range(producers)]
    taking = [multiprocessing.Process(target=consume, args=(queue, ready, go, results)) for _ in range(consumers)]
    for party in making + taking:
        party.start()
    ready.wait()
    started = time.perf_counter()
    go.set()
    for party in making:
        party.join()
    for _ in taking:
        queue.put(None)
    outcomes = [results.get() for _ in taking]
    for party in taking:
        party.join()

    seen = [0] * total
    for _, ids, _ in outcomes:
        for i in ids:
            seen[i] += 1
    latencies = sorted(latency for _, _, values in outcomes for latency in values)
    print(json.dumps({
        'seconds': max(last for last, ids, _ in outcomes if ids) - started,
        'taken': sum(len(ids) for _, ids, _ in outcomes),
        'counts': [len(ids) for _, ids, _ in outcomes],
        'sum': sum(sum(ids) for _, ids, _ in outcomes),
        'missing': seen.count(0),
        'duplicated': sum(1 for n in seen if n > 1),
        'p50': percentile(latencies, 0.5) * 1000,
        'p99': percentile(latencies, 0.99) * 1000,
        'p999': percentile(latencies, 0.999) * 1000,
        'max': latencies[-1] * 1000,
    }))
