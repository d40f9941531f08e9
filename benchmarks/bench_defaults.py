"""The default nets against the classical panel, every dataset at hand, the same folds for all.

For each dataset, ``NeuralClassifier(random_state=0)`` with nothing else set
reads its natural input (the feature table, or a log-Mel spectrogram of the
files) and ``compare(..., baselines="auto")`` cross-validates the classical
panel (logistic regression, random forest, histogram gradient boosting,
SVC, k-NN, scikit-learn's MLPClassifier, all with their defaults) on the
same folds: on audio they read MFCC statistics, on the table the
standardised table. Prints one table per dataset (accuracy mean +- std over
the folds, fit seconds per fold) and a summary: the net's rank, and whether
it is within one standard deviation (of the folds; of a single test set's
accuracy, sqrt(p(1-p)/n), for a one-split protocol) of the best baseline.

GTZAN numbers each genre's tracks artist by artist, so shuffled folds put an
artist on both sides and flatter every model; it is measured under two
leak-free protocols instead: ``gtzan-split``, the fault-filtered split of
Kereliuk, Sturm and Larsen (2015; fit on its 640 train + valid tracks, score
on its 290 test tracks, artists kept apart), and ``gtzan-contiguous``,
``StratifiedKFold(10)`` without shuffling (neighbouring tracks, mostly one
artist, stay in one fold). ``gtzan`` runs both.

    python benchmarks/bench_defaults.py [gtzan fsdd emodb digits]
    python benchmarks/bench_defaults.py valence arousal recognition   # NeuralRegressor(), R2

The real data comes from ../shared/data (or AUDIOSK_BENCH_DATA); a dataset
whose folder is missing is skipped with a message. Folds run two at a time
(``n_jobs=2``), each net on one thread.
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut
from sklearn.pipeline import make_pipeline

from audiosk.datasets import (
    gtzan_contiguous_folds,
    gtzan_fault_filtered_split,
    gtzan_table,
    load_spoken_digits,
)
from audiosk.features import MelSpectrogram
from audiosk.io import AudioLoader
from audiosk.model_selection import compare
from audiosk.nets import NeuralClassifier, NeuralRegressor
from audiosk.preprocessing import PadTrim

DATA = Path(
    os.environ.get("AUDIOSK_BENCH_DATA", Path(__file__).parents[1] / ".." / "shared" / "data")
)


def log_mel_net(sr, net=None):
    """Files -> 90th-percentile length -> 64-band log-Mel (32 ms windows, half overlap) -> net."""
    n_fft = int(2 ** round(np.log2(0.032 * sr)))
    return make_pipeline(
        AudioLoader(sr=sr),
        PadTrim(percentile=90),
        MelSpectrogram(n_mels=64, n_fft=n_fft, hop_length=n_fft // 2, db=True),
        NeuralClassifier(random_state=0) if net is None else net,
    )


def _gtzan(title, folds):
    """The GTZAN 30 s table under a leak-free protocol; None when absent."""
    path = DATA / "gtzan" / "features_30_sec.csv"
    if not path.exists():
        return None
    table = gtzan_table(path)
    X = table.data.to_numpy(np.float32)
    y = table.target_names[table.target]
    return title, NeuralClassifier(random_state=0), X, y, None, folds(table.filenames), None


def gtzan_split():
    return _gtzan(
        "GTZAN 30 s table, fault-filtered split (fit on 640 train + valid, score on 290 test)",
        gtzan_fault_filtered_split,
    )


def gtzan_contiguous():
    return _gtzan(
        "GTZAN 30 s table, contiguous stratified 10-fold (no shuffling)", gtzan_contiguous_folds
    )


def _files(folder, meta_name, title, target, cv, sr, net=None):
    """A dataset of audio files listed in a metadata table, speaker-grouped; None when absent."""
    root = DATA / folder
    if not (root / meta_name).exists():
        return None
    meta = pd.read_csv(root / meta_name)
    return (
        title,
        log_mel_net(sr, net),
        [str(root / f) for f in meta["filename"]],
        meta[target].to_numpy(),
        meta["speaker"].to_numpy(),
        cv,
        sr,
    )


def fsdd():
    return _files(
        "fsdd",
        "metadata.csv",
        "FSDD, leave one speaker out (6 folds)",
        "digit",
        LeaveOneGroupOut(),
        8000,
    )


def emodb():
    return _files(
        "emodb",
        "emodb_meta.csv",
        "EmoDB emotions, speaker-grouped 5-fold",
        "emotion",
        GroupKFold(5),
        16000,
    )


def digits():
    data = load_spoken_digits()
    return (
        "embedded digits, leave one speaker out (6 folds)",
        log_mel_net(8000),
        data.filenames,
        data.target,
        data.groups,
        LeaveOneGroupOut(),
        8000,
    )


def emodb_regression(target):
    def spec():
        return _files(
            "emodb",
            "emodb_meta.csv",
            f"EmoDB {target} regression (R2), speaker-grouped 5-fold",
            target,
            GroupKFold(5),
            16000,
            NeuralRegressor(random_state=0),
        )

    return spec


DATASETS = {
    "gtzan-split": gtzan_split,
    "gtzan-contiguous": gtzan_contiguous,
    "fsdd": fsdd,
    "emodb": emodb,
    "digits": digits,
    "valence": emodb_regression("valence_sign_derived"),
    "arousal": emodb_regression("arousal_sign_derived"),
    "recognition": emodb_regression("recognition_pct"),
}


ALIASES = {"gtzan": ["gtzan-split", "gtzan-contiguous"]}


def spread(row, metric, cv):
    """Fold standard deviation, or for one split the standard error of its test accuracy."""
    if isinstance(cv, list) and len(cv) == 1 and metric == "accuracy":
        p, n = row["accuracy_mean"], len(cv[0][1])
        return float(np.sqrt(p * (1 - p) / n))
    return row[metric + "_std"]


def main(names):
    names = [n for name in names for n in ALIASES.get(name, [name])]
    print(f"{os.cpu_count()} cores, torch {torch.__version__}, CUDA: {torch.cuda.is_available()}")
    summary = []
    for name in names:
        spec = DATASETS[name]()
        if spec is None:
            print(f"\n{name}: data not found under {DATA}; skipped")
            continue
        title, net, X, y, groups, cv, sr = spec
        final = net[-1] if hasattr(net, "steps") else net
        metric = "r2" if isinstance(final, NeuralRegressor) else "accuracy"
        name_of_net = f"{type(final).__name__}()"
        start = time.perf_counter()
        table = compare(
            {name_of_net: net},
            X,
            y,
            cv=cv,
            groups=groups,
            scoring={metric: metric},
            baselines="auto",
            sr=sr,
            n_jobs=2,
        )
        seconds = time.perf_counter() - start
        one_split = isinstance(cv, list) and len(cv) == 1
        note = ", +- the standard error of one test set" if one_split else ""
        scored = sum(len(test) for _, test in cv) if isinstance(cv, list) else len(y)
        print(f"\n{title} ({scored} clips scored, {seconds / 60:.1f} min in all{note})")
        for model, row in table.iterrows():
            print(
                f"  {model:36s} {row[metric + '_mean']:.3f} +- {spread(row, metric, cv):.3f}"
                f"   fit {row['fit_time']:6.1f} s/fold"
            )
        net_row = table.loc[name_of_net]
        best = table[table["baseline"]].iloc[0]
        summary.append(
            (
                name,
                net_row[metric + "_mean"],
                best.name,
                best[metric + "_mean"],
                spread(best, metric, cv),
                int(np.flatnonzero(table.index == name_of_net)[0]) + 1,
                len(table),
            )
        )
    print("\nsummary: the default net against the best baseline")
    for name, net_acc, best_name, best_acc, best_std, rank, n_models in summary:
        within = net_acc >= best_acc - best_std
        print(
            f"  {name:16s} net {net_acc:.3f}  rank {rank} of {n_models}   best baseline "
            f"{best_name} {best_acc:.3f} +- {best_std:.3f}   within one std: "
            f"{'yes' if within else 'NO'}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Datasets: " + ", ".join([*ALIASES, *DATASETS]) + ". Data from " + str(DATA) + ".",
    )
    parser.add_argument(
        "datasets",
        nargs="*",
        choices=[*ALIASES, *DATASETS],
        metavar="dataset",
        help="datasets to run (default: gtzan fsdd emodb digits)",
    )
    main(parser.parse_args().datasets or ["gtzan", "fsdd", "emodb", "digits"])
