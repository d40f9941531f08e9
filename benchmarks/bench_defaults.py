"""The default nets against the classical panels, every dataset at hand, the same folds for all.

For each dataset, ``NeuralClassifier(random_state=0)`` with nothing else set
reads its natural input (the feature table, or a log-Mel spectrogram of the
files: of the whole clips, and of clips padded or trimmed to the 90th
percentile of their lengths), beside the previous default recipe (a TDNN
with per-clip mean removal, 40 epochs, SpecAugment and mixup 0.2, on padded
clips); each is cross-validated alone, one fold after the other, and its
CPU minutes (fit and predict, the front end included) are printed. Then
``compare`` cross-validates, on the same folds, the classical
panel of ``classical_baselines`` (logistic regression, random forest,
histogram gradient boosting, SVC, k-NN, scikit-learn's MLPClassifier, all
with their defaults; on audio they read the descriptor panel,
``AudioDescriptors``) beside the panel it replaced, the same six models on
the mean and standard deviation of 20 MFCCs ("MFCC stats"), and, with the
opensmile package, SVC on openSMILE's ComParE_2016 functionals (the panel's
openSMILE row) and on its eGeMAPSv02 functionals. On the GTZAN table both
panels read the table. Prints one table per dataset (accuracy mean +- std
over the folds, fit seconds per fold) and a summary: the best model of each
panel, the openSMILE rows, and the net's rank and whether it is within
one standard deviation (of the folds; of a single test set's accuracy,
sqrt(p(1-p)/n), for a one-split protocol) of the best baseline.

GTZAN numbers each genre's tracks artist by artist, so shuffled folds put an
artist on both sides and flatter every model; it is measured under two
leak-free protocols instead: ``gtzan-split``, the fault-filtered split of
Kereliuk, Sturm and Larsen (2015; fit on its 640 train + valid tracks, score
on its 290 test tracks, artists kept apart), and ``gtzan-contiguous``,
``StratifiedKFold(10)`` without shuffling (neighbouring tracks, mostly one
artist, stay in one fold). ``gtzan`` runs both. ``instruments`` has no
uploader ids: shuffled ``StratifiedKFold(5, random_state=0)``.

``emodb-opensmile`` measures openSMILE + SVC on EmoDB against the published
0.73 (Gjoreski et al., 1582 openSMILE functionals, SVM, leaving one speaker
out): ComParE_2016 (6373), IS10 (1582, the INTERSPEECH 2010 set) and
eGeMAPSv02 (88) functionals, each + StandardScaler + SVC(), leaving one
speaker out and speaker-grouped 5-fold, with the features standardised over
all clips (in the pipeline, per fold) and per speaker (each speaker's clips
by their own mean and deviation, the test speaker's too: no labels used).

``--stats`` chooses the descriptor panel's statistics and deltas: the panel
with every statistic is computed once per dataset, then LR, SVC and random
forest are cross-validated on the columns of each candidate. ``--speed``
times the panel (one thread, CPU time) against the separate librosa calls it
equals, on 200 generated voiced clips of 0.5-3 s at 16 kHz.

    python benchmarks/bench_defaults.py [gtzan fsdd emodb digits instruments emodb-opensmile]
    python benchmarks/bench_defaults.py --no-net fsdd      # the panels only (and chance)
    python benchmarks/bench_defaults.py --stats fsdd emodb digits instruments
    python benchmarks/bench_defaults.py --speed
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
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GroupKFold,
    LeaveOneGroupOut,
    StratifiedKFold,
    cross_val_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR

from audiosk.datasets import (
    gtzan_contiguous_folds,
    gtzan_fault_filtered_split,
    gtzan_table,
    load_spoken_digits,
)
from audiosk.features import MFCC, AudioDescriptors, MelSpectrogram, TemporalStats
from audiosk.features._descriptors import STATS
from audiosk.io import AudioLoader
from audiosk.model_selection import classical_baselines, compare
from audiosk.model_selection._baselines import _models
from audiosk.nets import Mixup, NeuralClassifier, NeuralRegressor, SpecAugment
from audiosk.preprocessing import PadTrim

DATA = Path(
    os.environ.get("AUDIOSK_BENCH_DATA", Path(__file__).parents[1] / ".." / "shared" / "data")
)
OLD = "MFCC stats"
OPENSMILE_SETS = ("eGeMAPSv02", "ComParE_2016")
PUBLISHED_EMODB = 0.73  # Gjoreski et al., openSMILE 1582 functionals + SVM, leave one speaker out


def log_mel_net(sr, net, *, pad):
    """Files -> (90th-percentile length) -> 64-band log-Mel (32 ms windows, half overlap) -> net."""
    n_fft = int(2 ** round(np.log2(0.032 * sr)))
    return make_pipeline(
        AudioLoader(sr=sr),
        *([PadTrim(percentile=90)] if pad else []),
        MelSpectrogram(n_mels=64, n_fft=n_fft, hop_length=n_fft // 2, db=True),
        net,
    )


def previous_recipe(task=NeuralClassifier):
    """The default net before windows: what NeuralClassifier() was on padded spectra."""
    return task(
        module="tdnn",
        module__center_per_clip=True,
        max_epochs=40,
        augment=[SpecAugment(freq_width=8, time_width=10), Mixup(0.2)],
        window_length=None,
        trim_db=None,
        average_weights=None,
        random_state=0,
    )


def net_variants(sr, task=NeuralClassifier):
    """The default net on whole clips and padded ones, and the previous default (padded)."""
    name = task.__name__
    return {
        f"{name}(), whole clips": log_mel_net(sr, task(random_state=0), pad=False),
        f"{name}(), padded": log_mel_net(sr, task(random_state=0), pad=True),
        f"{name}(), previous recipe, padded": log_mel_net(sr, previous_recipe(task), pad=True),
    }


def mfcc_statistics_panel(kind, sr, classifier=True):
    """The panel before the descriptors: every model behind 20 MFCC means and deviations, scaled.

    On a table, the same six models behind a StandardScaler each.
    """
    front = []
    if kind == "audio":
        n_fft = int(2 ** round(np.log2(0.032 * sr)))
        front = [
            AudioLoader(sr=sr),
            MFCC(sr=sr, n_mfcc=20, n_fft=n_fft, hop_length=n_fft // 4),
            TemporalStats(stats=("mean", "std")),
        ]
    label = OLD if kind == "audio" else "table, all scaled"
    return {
        f"{name} ({label})": make_pipeline(*front, StandardScaler(), model)
        for name, model in _models(classifier, 0).items()
    }


def opensmile_rows(sr, classifier=True):
    """The panel's openSMILE row for each set measured (named as the panel names it)."""
    import importlib.util

    from audiosk.features import OpenSMILEFeatures

    if importlib.util.find_spec("opensmile") is None:
        return {}
    model = SVC() if classifier else SVR()
    return {
        f"{type(model).__name__} (openSMILE {feature_set})": make_pipeline(
            AudioLoader(sr=sr), OpenSMILEFeatures(feature_set, sr=sr), StandardScaler(), model
        )
        for feature_set in OPENSMILE_SETS
    }


def _gtzan(title, folds):
    """The GTZAN 30 s table under a leak-free protocol; None when absent."""
    path = DATA / "gtzan" / "features_30_sec.csv"
    if not path.exists():
        return None
    table = gtzan_table(path)
    X = table.data.to_numpy(np.float32)
    y = table.target_names[table.target]
    nets = {"NeuralClassifier()": NeuralClassifier(random_state=0)}  # the table recipe
    return title, nets, X, y, None, folds(table.filenames), None


def gtzan_split():
    return _gtzan(
        "GTZAN 30 s table, fault-filtered split (fit on 640 train + valid, score on 290 test)",
        gtzan_fault_filtered_split,
    )


def gtzan_contiguous():
    return _gtzan(
        "GTZAN 30 s table, contiguous stratified 10-fold (no shuffling)", gtzan_contiguous_folds
    )


def _files(
    folder,
    meta_name,
    title,
    target,
    cv,
    sr,
    task=NeuralClassifier,
    path="filename",
    group="speaker",
):
    """A dataset of audio files listed in a metadata table; None when absent."""
    root = DATA / folder
    if not (root / meta_name).exists():
        return None
    meta = pd.read_csv(root / meta_name)
    return (
        title,
        net_variants(sr, task),
        [str(root / f) for f in meta[path]],
        meta[target].to_numpy(),
        meta[group].to_numpy() if group else None,
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


def instruments():
    return _files(
        "instruments",
        "metadata.csv",
        "instruments (10 classes, 44.1 kHz FLAC loaded at 22,050 Hz), stratified shuffled 5-fold",
        "label",
        StratifiedKFold(5, shuffle=True, random_state=0),
        22050,
        path="path",
        group=None,
    )


def digits():
    data = load_spoken_digits()
    return (
        "embedded digits, leave one speaker out (6 folds)",
        net_variants(8000),
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
            NeuralRegressor,
        )

    return spec


DATASETS = {
    "gtzan-split": gtzan_split,
    "gtzan-contiguous": gtzan_contiguous,
    "fsdd": fsdd,
    "emodb": emodb,
    "digits": digits,
    "instruments": instruments,
    "valence": emodb_regression("valence_sign_derived"),
    "arousal": emodb_regression("arousal_sign_derived"),
    "recognition": emodb_regression("recognition_pct"),
}
ALIASES = {"gtzan": ["gtzan-split", "gtzan-contiguous"]}
DEFAULT = ["gtzan", "fsdd", "emodb", "digits", "instruments", "emodb-opensmile"]


def spread(row, metric, cv):
    """Fold standard deviation, or for one split the standard error of its test accuracy."""
    if isinstance(cv, list) and len(cv) == 1 and metric == "accuracy":
        p, n = row["accuracy_mean"], len(cv[0][1])
        return float(np.sqrt(p * (1 - p) / n))
    return row[metric + "_std"]


def run_dataset(name, *, net=True):
    """Print one dataset's table; return its summary row (None when the data is absent).

    Each net variant is cross-validated alone, one fold after the other in this process, so
    that its CPU time (fit and predict, front end included) is measured; the panels run
    together, two folds at a time.
    """
    spec = DATASETS[name]()
    if spec is None:
        print(f"\n{name}: data not found under {DATA}; skipped")
        return None
    title, nets, X, y, groups, cv, sr = spec
    final = next(iter(nets.values()))
    final = final[-1] if hasattr(final, "steps") else final
    classifier = not isinstance(final, NeuralRegressor)
    metric = "accuracy" if classifier else "r2"
    kind = "table" if sr is None else "audio"
    baselines = {
        **classical_baselines(X, classifier=classifier, sr=sr, opensmile=False),
        **mfcc_statistics_panel(kind, sr, classifier),
        **(opensmile_rows(sr, classifier) if kind == "audio" else {}),
    }
    chance = "chance (most frequent)" if classifier else "chance (mean)"
    start = time.perf_counter()
    tables, cpu_minutes = [], {}
    for variant, model in nets.items() if net else ():
        before = time.process_time()
        tables.append(
            compare(
                {variant: model},
                X,
                y,
                cv=cv,
                groups=groups,
                scoring={metric: metric},
                sr=sr,
                n_jobs=1,
                verbose=0,
            )
        )
        cpu_minutes[variant] = (time.process_time() - before) / 60
    dummy = DummyClassifier() if classifier else DummyRegressor()
    tables.append(
        compare(
            {chance: dummy},
            X,
            y,
            cv=cv,
            groups=groups,
            scoring={metric: metric},
            baselines=baselines,
            sr=sr,
            n_jobs=2,
            verbose=0,
        )
    )
    table = pd.concat(tables).sort_values(metric + "_mean", ascending=False)
    table["baseline"] = table["baseline"].fillna(False).astype(bool)
    seconds = time.perf_counter() - start
    one_split = isinstance(cv, list) and len(cv) == 1
    note = ", +- the standard error of one test set" if one_split else ""
    scored = sum(len(test) for _, test in cv) if isinstance(cv, list) else len(y)
    print(f"\n{title} ({scored} clips scored, {seconds / 60:.1f} min in all{note})")
    for row_name, row in table.iterrows():
        cpu = f"   CPU {cpu_minutes[row_name]:5.1f} min" if row_name in cpu_minutes else ""
        print(
            f"  {row_name:42s} {row[metric + '_mean']:.3f} +- {spread(row, metric, cv):.3f}"
            f"   fit {row['fit_time']:6.1f} s/fold{cpu}"
        )

    def best(rows):
        top = table[rows].iloc[0]
        return top.name, top[metric + "_mean"], spread(top, metric, cv)

    old = table.index.str.contains(f"({OLD})", regex=False) | table.index.str.contains(
        "(table, all scaled)", regex=False
    )
    smile = table.index.str.contains("openSMILE")
    new = table["baseline"].to_numpy() & ~old & ~smile
    return {
        "name": name,
        "nets": {
            v: (table.loc[v, metric + "_mean"], spread(table.loc[v], metric, cv), cpu_minutes[v])
            for v in cpu_minutes
        },
        "old": best(old),
        "new": best(new),
        "opensmile": {n: table.loc[n, metric + "_mean"] for n in table.index[smile]},
        "all": best(table["baseline"].to_numpy()),
    }


def print_summary(summary, *, net):
    print("\nsummary: the best of each panel" + (", and the nets" if net else ""))
    improved = 0
    for row in summary:
        (old_name, old, old_std), (new_name, new, new_std) = row["old"], row["new"]
        improved += new > old
        line = (
            f"  {row['name']:16s} MFCC stats {old:.3f} +- {old_std:.3f} ({old_name.split(' (')[0]})"
            f"   descriptors {new:.3f} +- {new_std:.3f} ({new_name.split(' (')[0]})"
            f"   {new - old:+.3f}"
        )
        for smile_name, score in row["opensmile"].items():
            line += f"   {smile_name.split('(')[1][:-1]} + SVC {score:.3f}"
        print(line)
        best_name, best_score, best_std = row["all"]
        for variant, (score, std, minutes) in row["nets"].items():
            within = score >= best_score - best_std
            print(
                f"  {'':16s} {variant:38s} {score:.3f} +- {std:.3f}  CPU {minutes:5.1f} min   "
                f"vs best baseline {best_name} {best_score:.3f}: "
                f"{'within one std or above' if within else 'below'}"
            )
    print(
        f"  the descriptor panel's best beats the MFCC-stats panel's on {improved} of {len(summary)}"
    )


def per_speaker_standardized(F, groups):
    """Standardise each speaker's rows by that speaker's own mean and deviation."""
    out = np.empty_like(F, dtype=np.float64)
    for g in np.unique(groups):
        rows = groups == g
        mean, std = F[rows].mean(axis=0), F[rows].std(axis=0)
        out[rows] = (F[rows] - mean) / np.where(std > 0, std, 1)
    return out


def emodb_opensmile():
    """openSMILE functionals + SVC on EmoDB, against the published 0.73 (see the module doc)."""
    from audiosk.features import OpenSMILEFeatures

    root = DATA / "emodb"
    if not (root / "emodb_meta.csv").exists():
        print(f"\nemodb-opensmile: data not found under {DATA}; skipped")
        return
    meta = pd.read_csv(root / "emodb_meta.csv")
    y, groups = meta["emotion"].to_numpy(), meta["speaker"].to_numpy()
    audio = AudioLoader(sr=16000, n_jobs=2).fit_transform([str(root / f) for f in meta["filename"]])
    print(
        f"\nEmoDB, openSMILE functionals + StandardScaler + SVC() (published: {PUBLISHED_EMODB}, "
        "1582 functionals, SVM, leave one speaker out); every clip of this copy is 2.0 s"
    )
    for feature_set in ("ComParE_2016", "IS10", "eGeMAPSv02"):
        start = time.perf_counter()
        F = OpenSMILEFeatures(feature_set, n_jobs=2).fit_transform(audio).astype(np.float64)
        seconds = time.perf_counter() - start
        for norm, table in (
            ("over clips", F),
            ("per speaker", per_speaker_standardized(F, groups)),
        ):
            for cv_name, cv in (("LOSO", LeaveOneGroupOut()), ("GroupKFold(5)", GroupKFold(5))):
                scores = cross_val_score(
                    make_pipeline(StandardScaler(), SVC()), table, y, groups=groups, cv=cv, n_jobs=2
                )
                print(
                    f"  {feature_set:13s} ({F.shape[1]:4d})  standardised {norm:11s} "
                    f"{cv_name:13s} {scores.mean():.3f} +- {scores.std():.3f}"
                    f"   ({scores.mean() - PUBLISHED_EMODB:+.3f} vs {PUBLISHED_EMODB})"
                )
        print(f"  {'':13s} extraction {seconds:.1f} s for {len(F)} clips of 2 s")


#: (deltas, stats) of the descriptor panel tried by --stats.
STATS_CANDIDATES = [
    (1, ("mean", "std")),
    (2, ("mean", "std")),
    (2, ("mean", "std", "median", "iqr")),
    (2, ("mean", "std", "p10", "median", "p90")),
    (2, ("mean", "std", "min", "max")),
    (1, ("mean", "std", "skew", "kurtosis")),
    (2, ("mean", "std", "skew", "kurtosis")),
    (2, ("mean", "std", "skew", "kurtosis", "min", "max")),
    (2, ("mean", "std", "median", "iqr", "skew", "kurtosis")),
]


def choose_stats(names):
    """Cross-validate LR, SVC and random forest on each candidate's columns of the panel."""
    models = {
        "LR": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        "SVC": make_pipeline(StandardScaler(), SVC()),
        "RF": RandomForestClassifier(random_state=0),
    }
    for name in names:
        spec = DATASETS[name]()
        if spec is None or spec[-1] is None:
            print(f"\n{name}: no audio under {DATA}; skipped")
            continue
        title, _, paths, y, groups, cv, sr = spec
        audio = AudioLoader(sr=sr, n_jobs=2).fit_transform(paths)
        panel = AudioDescriptors(sr=sr, stats=STATS, deltas=2, n_jobs=2).fit(audio)
        start = time.perf_counter()
        F = panel.transform(audio)
        print(f"\n{title}: the panel of {len(audio)} clips in {time.perf_counter() - start:.1f} s")
        columns = panel.get_feature_names_out()
        stat_of = np.array([c.rsplit("_", 1)[1] for c in columns])
        delta2 = np.array(["_delta2_" in c for c in columns])
        for deltas, stats in STATS_CANDIDATES:
            keep = np.isin(stat_of, stats) & (~delta2 if deltas == 1 else True)
            scores = {
                m: cross_val_score(model, F[:, keep], y, groups=groups, cv=cv, n_jobs=2).mean()
                for m, model in models.items()
            }
            print(
                f"  deltas={deltas}  {', '.join(stats):38s} ({keep.sum():4d} columns)  "
                + "  ".join(f"{m} {s:.3f}" for m, s in scores.items())
                + f"   mean {np.mean(list(scores.values())):.3f}"
            )


def librosa_descriptors(y, sr, n_fft, hop):
    """The panel's frame-wise descriptors by separate librosa calls (the reference)."""
    import librosa

    from audiosk.features._descriptors import contrast_bands

    kw = {"n_fft": n_fft, "hop_length": hop}
    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20, **kw)
    rows = [mfcc, librosa.feature.delta(mfcc), librosa.feature.delta(mfcc, order=2)]
    rows += [
        librosa.feature.spectral_centroid(y=y, sr=sr, **kw),
        librosa.feature.spectral_bandwidth(y=y, sr=sr, **kw),
        librosa.feature.spectral_contrast(y=y, sr=sr, n_bands=contrast_bands(sr), **kw),
        librosa.feature.spectral_flatness(y=y, **kw),
        librosa.feature.spectral_rolloff(y=y, sr=sr, **kw),
        librosa.feature.zero_crossing_rate(y, frame_length=n_fft, hop_length=hop),
        librosa.feature.rms(y=y, frame_length=n_fft, hop_length=hop),
        librosa.feature.chroma_stft(y=y, sr=sr, tuning=0.0, **kw),
    ]
    return np.concatenate(rows)


def speed(n_clips=200, sr=16000, rounds=3):
    """The descriptor panel against separate librosa calls, one thread, the same statistics."""
    from audiosk.features._descriptors import frame_statistics

    rng = np.random.default_rng(0)
    clips = []
    for _ in range(n_clips):
        n = int(rng.uniform(0.5, 3.0) * sr)
        t = np.arange(n) / sr
        f0 = rng.uniform(100, 250) * (1 + 0.2 * t)
        y = sum(np.sin(2 * np.pi * k * np.cumsum(f0) / sr) / k for k in range(1, 8))
        clips.append((0.1 * y + 0.01 * rng.normal(size=n)).astype(np.float32))
    panel = AudioDescriptors(sr=sr).fit(clips[:1])
    n_fft, hop, stats = panel.n_fft_, panel.hop_length_, panel.stats
    times = {"audiosk": [], "librosa": []}
    for _ in range(rounds):
        start = time.process_time()
        ours = panel.transform(clips)
        times["audiosk"].append(time.process_time() - start)
        start = time.process_time()
        ref = np.stack(
            [frame_statistics(librosa_descriptors(y, sr, n_fft, hop), stats) for y in clips]
        )
        times["librosa"].append(time.process_time() - start)
    scale = np.abs(ref).reshape(n_clips, -1, len(stats)).max(axis=(0, 2)).repeat(len(stats))
    error = (np.abs(ours - ref) / np.maximum(scale, 1e-3)).max()
    seconds = sum(len(y) for y in clips) / sr
    a, b = min(times["audiosk"]), min(times["librosa"])
    print(
        f"\ndescriptor panel, {n_clips} clips of 0.5-3 s at {sr} Hz ({seconds:.0f} s of audio), "
        f"one thread, CPU seconds, min of {rounds}: audiosk {a:.2f}, librosa calls {b:.2f} "
        f"({b / a:.1f}x); largest difference {error:.1e} of each descriptor's scale"
    )


def main(names, *, net=True, stats=False):
    names = [n for name in names for n in ALIASES.get(name, [name])]
    print(f"{os.cpu_count()} cores, torch {torch.__version__}, CUDA: {torch.cuda.is_available()}")
    if stats:
        choose_stats(names)
        return
    if names == ["speed"]:
        speed()
        return
    summary = []
    for name in names:
        if name == "emodb-opensmile":
            emodb_opensmile()
            continue
        row = run_dataset(name, net=net)
        if row is not None:
            summary.append(row)
    if summary:
        print_summary(summary, net=net)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Datasets: "
        + ", ".join([*ALIASES, *DATASETS, "emodb-opensmile"])
        + ". Data from "
        + str(DATA)
        + ".",
    )
    parser.add_argument(
        "datasets", nargs="*", metavar="dataset", help=f"default: {' '.join(DEFAULT)}"
    )
    parser.add_argument("--no-net", action="store_true", help="the panels only, beside chance")
    parser.add_argument("--stats", action="store_true", help="choose the panel's statistics")
    parser.add_argument(
        "--speed", action="store_true", help="the panel's time against librosa calls"
    )
    args = parser.parse_args()
    unknown = set(args.datasets) - {*ALIASES, *DATASETS, "emodb-opensmile"}
    if unknown:
        parser.error(f"unknown datasets {sorted(unknown)}")
    if args.speed:
        main(["speed"])
    else:
        main(args.datasets or DEFAULT, net=not args.no_net, stats=args.stats)
