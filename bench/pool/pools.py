"""The CPython side of bench/pool-python.mjs: one measured run of one pool API
on one workload, under a pool of 2 worker processes (the platform's default
start method: fork on Linux).

    python3 pools.py submit trivial 20000   # ProcessPoolExecutor(2): submit each, then gather
    python3 pools.py map fib 64             # multiprocessing.Pool(2).map, default chunksize
    python3 pools.py roundtrip trivial 2000 # ProcessPoolExecutor(2): submit one, wait for it, submit the next

The pool is started and warmed up (2,000 trivial tasks, so every worker
process exists) before the clock starts; the clock stops when every result
is in the parent. Prints one JSON line: seconds, the sum of the results and
the sum expected (for roundtrip also p50 and p99, microseconds per round trip).
"""

import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import Pool

WORKERS = 2
WARM_TASKS = 2000
FIB_N = 27


def inc(x):
    return x + 1


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def workload(name, n):
    """The function, its inputs and the sum its results must add up to."""
    if name == 'trivial':
        return inc, list(range(n)), n * (n + 1) // 2
    if name == 'fib':
        return fib, [FIB_N] * n, fib(FIB_N) * n
    raise SystemExit(f'unknown workload {name!r}')


def submit_and_gather(fn, inputs):
    with ProcessPoolExecutor(WORKERS) as executor:
        [f.result() for f in [executor.submit(inc, i) for i in range(WARM_TASKS)]]
        started = time.perf_counter()
        futures = [executor.submit(fn, x) for x in inputs]
        results = [f.result() for f in futures]
        return time.perf_counter() - started, results


def round_trips(fn, inputs):
    """Sequential round trips; the 500 first after the warm-up are not timed (as on the weft side)."""
    with ProcessPoolExecutor(WORKERS) as executor:
        [f.result() for f in [executor.submit(inc, i) for i in range(WARM_TASKS)]]
        for i in range(500):
            executor.submit(fn, i).result()
        times = []
        results = []
        started = time.perf_counter()
        for x in inputs:
            began = time.perf_counter()
            results.append(executor.submit(fn, x).result())
            times.append((time.perf_counter() - began) * 1e6)
        seconds = time.perf_counter() - started
        times.sort()
        round_trips.percentiles = {'p50': times[len(times) // 2], 'p99': times[min(len(times) - 1, -(-99 * len(times) // 100) - 1)]}
        return seconds, results


def pool_map(fn, inputs):
    with Pool(WORKERS) as pool:
        pool.map(inc, range(WARM_TASKS))
        started = time.perf_counter()
        results = pool.map(fn, inputs)
        return time.perf_counter() - started, results


def main():
    api, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    fn, inputs, expected = workload(name, n)
    run = {'submit': submit_and_gather, 'map': pool_map, 'roundtrip': round_trips}[api]
    seconds, results = run(fn, inputs)
    print(json.dumps({'seconds': seconds, 'sum': sum(results), 'expected': expected, **getattr(run, 'percentiles', {})}))


if __name__ == '__main__':
    main()
