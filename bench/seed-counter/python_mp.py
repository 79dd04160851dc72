"""The seed program with CPython's multiprocessing: five processes, one shared
Value('i', 0), each doing 100,000 increments under the Value's own lock.
Prints the final value (500000 when nothing was lost)."""

import multiprocessing

PROCESSES = 5
INCREMENTS = 100_000


def increment(counter, n):
    for _ in range(n):
        with counter.get_lock():
            counter.value += 1


if __name__ == "__main__":
    counter = multiprocessing.Value("i", 0)
    workers = [multiprocessing.Process(target=increment, args=(counter, INCREMENTS)) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(counter.value)
