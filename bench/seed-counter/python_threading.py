"""The seed program with CPython's threading: five threads, one counter, each
doing 100,000 increments under one threading.Lock. Prints the final value
(500000 when nothing was lost)."""

import threading

THREADS = 5
INCREMENTS = 100_000


class Counter:
    def __init__(self):
        self.value = 0
        self.lock = threading.Lock()


def increment(counter, n):
    for _ in range(n):
        with counter.lock:
            counter.value += 1


if __name__ == "__main__":
    counter = Counter()
    workers = [threading.Thread(target=increment, args=(counter, INCREMENTS)) for _ in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(counter.value)
