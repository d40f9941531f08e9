"""Threads on a busy machine: the nets' torch threads, and ``audiosk demo`` before and after limits.

``nets``: torch's default is one thread per core. When another process keeps
a core busy (a joblib worker, a second notebook), its threads wait on each
other at every operation; audiosk's nets therefore default to
``n_threads=1``. This prints, for a small MLP on a table and the default TDNN
on spectra, the mean seconds per epoch with ``n_threads=1`` and with one
thread per core, first with the machine idle and then with one core kept
busy by a second process.

``demo``: ``audiosk demo`` (the default net against the six classical models,
3 speaker-grouped folds) run in a fresh interpreter with nothing else of
this benchmark running ("idle"), then with every core kept busy by another
process ("busy": two on a 2-core machine). It prints the wall time and each
model's fit time per fold, and their growth busy / idle. With
``--before REF``, the same runs on the code of the git commit REF (its
``audiosk`` folder, extracted with ``git archive`` to a temporary folder and
put first on ``PYTHONPATH``), interleaved with this checkout's: before idle,
after idle, before busy, after busy. The load average is printed before each
run: other work on the machine counts in "idle" too. A single-threaded
pure-Python loop is timed just before and after each run, in the same
conditions (the mean of the two): its growth busy / idle is the least any
single-threaded work can show there (1.5x where two busy processes and the
demo share 2 cores fairly; more on a machine whose cores other work
shares), and each growth is also printed as a multiple of it.

    python benchmarks/bench_threads.py [nets] [demo] [--before REF] [--quick]
"""

import argparse
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

RUN_DEMO = """
import inspect, json, sys, time
import audiosk
from audiosk.cli import demo
quick = sys.argv[1] == "quick"
start = time.perf_counter()
table = demo(quick=quick)
wall = time.perf_counter() - start
print(json.dumps({"wall": wall, "fit_time": table["fit_time"].to_dict(),
                  "accuracy": table["accuracy_mean"].to_dict(), "code": audiosk.__file__}))
"""


def spin(stop):
    while not stop.is_set():
        pass


class Busy:
    """Keep ``n`` cores busy with spinning processes while in the block (``n=0``: idle)."""

    def __init__(self, n):
        self.n, self.stop, self.workers = n, mp.Event(), []

    def __enter__(self):
        self.workers = [mp.Process(target=spin, args=(self.stop,)) for _ in range(self.n)]
        for worker in self.workers:
            worker.start()
        time.sleep(1.0 if self.n else 0.0)  # let them take their cores

    def __exit__(self, *exc):
        self.stop.set()
        for worker in self.workers:
            worker.join()


def loop_seconds(n=20_000_000):
    """Seconds of a pure-Python loop: single-threaded work, the same on any code."""
    start = time.perf_counter()
    total = 0
    for i in range(n):
        total += i
    return time.perf_counter() - start


def seconds_per_epoch(X, y, n_threads, epochs, repeats=2):
    from audiosk.nets import NeuralClassifier

    best = np.inf
    for _ in range(repeats):
        net = NeuralClassifier(max_epochs=epochs, n_threads=n_threads, random_state=0)
        start = time.perf_counter()
        net.fit(X, y)
        best = min(best, (time.perf_counter() - start) / epochs)
    return best


def nets():
    import torch

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
    for busy in (0, 1):
        with Busy(busy):
            print("one core busy in another process" if busy else "idle machine")
            for name, (X, y, epochs) in cases.items():
                one = seconds_per_epoch(X, y, 1, epochs)
                many = seconds_per_epoch(X, y, cores, epochs)
                print(f"  {name:28s} {one:10.3f} {many:11.3f}   ({many / one:.1f}x)")


def run_demo(code: Path, quick: bool) -> dict:
    """Run the demo in a fresh interpreter on the audiosk found first under ``code``."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    result = subprocess.run(
        [sys.executable, "-c", RUN_DEMO, "quick" if quick else "full"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tempfile.gettempdir(),
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the demo failed on {code}:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def extract(ref: str, folder: Path) -> Path:
    """Extract the ``audiosk`` folder of commit ``ref`` into ``folder``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "audiosk"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def demo(before: str | None, quick: bool):
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as folder:
        trees = {"after (this checkout)": ROOT}
        if before is not None:
            trees = {f"before ({before})": extract(before, Path(folder)), **trees}
        runs, loops = {}, {}
        for busy in (0, cores):
            for name, code in trees.items():
                load = os.getloadavg()[0]
                with Busy(busy):  # the loop before and after: the conditions the demo met
                    loops[name, busy] = loop_seconds() / 2
                    runs[name, busy] = run_demo(code, quick)
                    loops[name, busy] += loop_seconds() / 2
                state = f"{busy} cores busy" if busy else "idle"
                print(
                    f"{name:28s} {state:14s} {runs[name, busy]['wall']:7.1f} s  "
                    f"(load average before: {load:.1f}; the loop {loops[name, busy]:.2f} s)",
                    flush=True,
                )
    print(
        f"\n{cores} cores; demo{' --quick' if quick else ''}: busy / idle, and that growth "
        "over the growth of a single-threaded pure-Python loop timed around each run (the "
        "least any single-threaded work can grow there: 1.5x where the demo and two busy "
        "processes share 2 cores fairly)"
    )
    for name in trees:
        idle, busy = runs[name, 0], runs[name, cores]
        floor = loops[name, cores] / loops[name, 0]
        wall = busy["wall"] / idle["wall"]
        print(
            f"{name}: the loop {floor:.2f}x; wall {idle['wall']:.1f} s -> {busy['wall']:.1f} s "
            f"({wall:.2f}x, {wall / floor:.2f} of the loop's); fit time per fold:"
        )
        for model, seconds in idle["fit_time"].items():
            grown = busy["fit_time"][model] / seconds
            print(
                f"  {model:36s} {seconds:7.2f} s -> {busy['fit_time'][model]:7.2f} s  "
                f"({grown:.2f}x, {grown / floor:.2f} of the loop's)"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="*", choices=["nets", "demo"], help="default: both")
    parser.add_argument("--before", help="git commit whose audiosk the demo also runs")
    parser.add_argument("--quick", action="store_true", help="audiosk demo --quick")
    args = parser.parse_args()
    what = args.what or ["nets", "demo"]
    if "nets" in what:
        nets()
    if "demo" in what:
        demo(args.before, args.quick)


if __name__ == "__main__":
    main()
