"""Training time of the default nets with 1 thread and with torch's default, idle and beside busy work.

torch's default is one thread per core. When another process keeps a core
busy (a joblib worker, a second notebook), its threads wait on each other
at every operation; audiosk's nets therefore default to ``n_threads=1``.
This prints, for a small MLP on a table and the default TDNN on spectra,
the mean seconds per epoch with ``n_threads=1`` and with one thread per
core, first with the machine idle and then with one core kept busy by a
second process.

    python benchmarks/bench_threads.py
"""

import multiprocessing as mp
import os
import time

import numpy as np
import torch

from audiosk.nets import NeuralClassifier


def spin(stop):
    while not stop.is_set():
        pass


def seconds_per_epoch(X, y, n_threads, epochs, repeats=2):
    best = np.inf
    for _ in range(repeats):
        net = NeuralClassifier(max_epochs=epochs, n_threads=n_threads, random_state=0)
        start = time.perf_counter()
        net.fit(X, y)
        best = min(best, (time.perf_counter() - start) / epochs)
    return best


def main():
    rng = np.random.default_rng(0)
    cases = {
        "MLP, table 1000 x 57": (
            rng.normal(size=(1000, 57)).astype(np.float32),
            rng.integers(0, 10, 1000),
            5,
        ),
        "TDNN, spectra 500 x 64 x 100": (
            rng.normal(size=(500, 64, 100)).astype(np.float32),
            rng.integers(0, 7, 500),
            2,
        ),
    }
    cores = os.cpu_count() or 1
    for X, y, _ in cases.values():  # warm-up: first calls pay for lazy initialisation
        seconds_per_epoch(X[:64], y[:64], 1, 1)
    print(f"{cores} cores; torch {torch.__version__}; seconds per epoch (lower is better)")
    print(f"{'':30s} {'1 thread':>10s} {f'{cores} threads':>11s}")
    for busy in (False, True):
        stop = mp.Event()
        worker = mp.Process(target=spin, args=(stop,)) if busy else None
        if worker is not None:
            worker.start()
        try:
            print("one core busy in another process" if busy else "idle machine")
            for name, (X, y, epochs) in cases.items():
                one = seconds_per_epoch(X, y, 1, epochs)
                many = seconds_per_epoch(X, y, cores, epochs)
                print(f"  {name:28s} {one:10.3f} {many:11.3f}   ({many / one:.1f}x)")
        finally:
            if worker is not None:
                stop.set()
                worker.join()


if __name__ == "__main__":
    main()
