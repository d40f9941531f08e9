"""The ``audiosk`` command."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from .datasets import AUDIO_EXTENSIONS


def demo_estimators(max_epochs: int | str = "auto", random_state: int = 0) -> dict:
    """Build the neural pipeline ``audiosk demo`` puts against the classical panel.

    Parameters
    ----------
    max_epochs : int or "auto", default="auto"
        Training epochs of the net ("auto": the default recipe's).
    random_state : int, default=0
        Seed of the net.

    Returns
    -------
    estimators : dict of str to Pipeline
        File paths -> 8 kHz waveforms -> padded to the 90th-percentile
        length -> 64-band log-Mel -> ``NeuralClassifier`` with its defaults.

    Examples
    --------
    >>> from audiosk.cli import demo_estimators
    >>> pipe = demo_estimators()["log-Mel + NeuralClassifier()"]
    >>> [name for name, _ in pipe.steps]
    ['audioloader', 'padtrim', 'melspectrogram', 'neuralclassifier']
    """
    from sklearn.pipeline import make_pipeline

    from .features import MelSpectrogram
    from .io import AudioLoader
    from .nets import NeuralClassifier
    from .preprocessing import PadTrim

    return {
        "log-Mel + NeuralClassifier()": make_pipeline(
            AudioLoader(sr=8000),
            PadTrim(percentile=90),
            MelSpectrogram(n_mels=64, n_fft=256, hop_length=128, db=True),
            NeuralClassifier(max_epochs=max_epochs, random_state=random_state),
        )
    }


def demo(
    folds: int = 3, max_epochs: int | str = "auto", n_jobs: int | None = None, quick: bool = False
) -> object:
    """Compare the default net with the classical panel on the embedded spoken digits.

    Parameters
    ----------
    folds : int, default=3
        Speaker-grouped folds (GroupKFold): no speaker is on both sides.
    max_epochs : int or "auto", default="auto"
        Training epochs of the net.
    n_jobs : int or None, default=None
        Folds run in parallel.
    quick : bool, default=False
        Only MFCC statistics + logistic regression (seconds).

    Returns
    -------
    table : pandas.DataFrame
        The comparison table (see :func:`audiosk.model_selection.compare`).
    """
    from sklearn.model_selection import GroupKFold

    from .datasets import load_spoken_digits
    from .model_selection import classical_baselines, compare

    digits = load_spoken_digits()
    panel = classical_baselines(digits.filenames, sr=8000)
    if quick:
        estimators = {"MFCC stats + logistic regression": panel.pop(next(iter(panel)))}
        panel = {}
    else:
        estimators = demo_estimators(max_epochs=max_epochs)
    return compare(
        estimators,
        digits.filenames,
        digits.target,
        cv=GroupKFold(folds),
        groups=digits.groups,
        baselines=panel,
        n_jobs=n_jobs,
    )


def format_table(table) -> str:
    """Render a comparison table as ``mean +- std`` columns.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`audiosk.model_selection.compare`.

    Returns
    -------
    text : str
    """
    metrics = [c[: -len("_mean")] for c in table.columns if c.endswith("_mean")]
    lines = []
    width = max(len(str(i)) for i in table.index)
    header = f"{'model':<{width}}  " + "  ".join(f"{m:>19}" for m in metrics) + "  fit time/fold"
    lines.append(header)
    lines.append("-" * len(header))
    for name, row in table.iterrows():
        cells = "  ".join(f"{row[m + '_mean']:>10.3f} +- {row[m + '_std']:.3f}" for m in metrics)
        lines.append(f"{name:<{width}}  {cells}  {row['fit_time']:>10.1f} s")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``audiosk`` command.

    Parameters
    ----------
    argv : sequence of str or None
        Arguments (``sys.argv[1:]`` when None).

    Returns
    -------
    status : int
    """
    parser = argparse.ArgumentParser(
        prog="audiosk", description="Machine learning on audio as a scikit-learn problem."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo_parser = commands.add_parser(
        "demo",
        help="cross-validate audio pipelines on the embedded spoken digits",
        description="Cross-validate, with speaker-grouped folds, the default neural net on "
        "log-Mel spectrograms against six classical models on MFCC statistics (logistic "
        "regression, random forest, gradient boosting, SVC, k-NN, MLPClassifier) on the "
        "600 spoken digits embedded in audiosk, and print a table of accuracy, balanced "
        "accuracy and macro F1 (mean +- std over folds) with the fit time per fold.",
    )
    demo_parser.add_argument(
        "--folds", type=int, default=3, help="speaker-grouped folds (default 3)"
    )
    demo_parser.add_argument(
        "--max-epochs",
        type=lambda v: v if v == "auto" else int(v),
        default="auto",
        help="epochs of the net (default: auto, the recipe's)",
    )
    demo_parser.add_argument("--n-jobs", type=int, default=None, help="folds run in parallel")
    demo_parser.add_argument(
        "--quick", action="store_true", help="only MFCC stats + logistic regression"
    )
    extract_parser = commands.add_parser(
        "extract",
        help="describe every audio file under a folder in one table",
        description="Compute a feature table (one row per file, or per segment) for every audio "
        "file under DIR, in parallel, with a progress bar. A file that fails is listed in "
        "<TABLE stem>.failures.csv and does not stop the run; running the same command again "
        "after an interruption skips the files already done.",
    )
    extract_parser.add_argument(
        "directory", metavar="DIR", help="folder searched recursively for audio"
    )
    extract_parser.add_argument(
        "-o", "--output", required=True, metavar="TABLE", help="output .csv or .parquet"
    )
    extract_parser.add_argument(
        "--features", default="gtzan", choices=["gtzan", "mfcc"], help="feature set (default gtzan)"
    )
    extract_parser.add_argument(
        "--sr", type=int, default=22050, help="sample rate the files are loaded at (default 22050)"
    )
    extract_parser.add_argument(
        "--segment-seconds", type=float, default=None, help="one row per segment of this length"
    )
    extract_parser.add_argument(
        "--n-jobs", type=int, default=None, help="worker processes (-1: all cores)"
    )
    extract_parser.add_argument(
        "--all-files", action="store_true", help="try every file, not only audio extensions"
    )
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 1
    if args.command == "demo":
        start = time.perf_counter()
        print(
            f"Spoken digits (600 clips, 6 speakers, 8 kHz): {args.folds}-fold cross-validation "
            "grouped by speaker (no speaker in both training and test folds).",
            flush=True,
        )
        table = demo(
            folds=args.folds, max_epochs=args.max_epochs, n_jobs=args.n_jobs, quick=args.quick
        )
        print(format_table(table))
        print(f"\nTotal time: {time.perf_counter() - start:.0f} s")
    elif args.command == "extract":
        return _extract(args)
    return 0


#: How the Python API's parameters read on the command line, for error messages.
_CLI_NAMES = [
    ("segment_seconds", "--segment-seconds"),
    ("pass extensions=None", "pass --all-files"),
    ("extractor", "--features"),
    ("n_jobs", "--n-jobs"),
    ("sr must be", "--sr must be"),
    ("sr=", "--sr "),
]


def _extract(args) -> int:
    """Run ``audiosk extract``: one line per error, a non-zero status when nothing came out."""
    from .datasets import load_audio_folder
    from .extraction import extract_features

    try:
        files = load_audio_folder(
            args.directory, labels=None, extensions=None if args.all_files else AUDIO_EXTENSIONS
        )
        table = extract_features(
            files.filenames,
            args.features,
            out=args.output,
            sr=args.sr,
            segment_seconds=args.segment_seconds,
            n_jobs=args.n_jobs,
            return_table=False,
        )
    except (ValueError, TypeError, OSError, RuntimeError) as exc:
        message = str(exc)
        for python, cli in _CLI_NAMES:
            message = message.replace(python, cli)
        print(f"audiosk extract: error: {message}", file=sys.stderr)
        return 2
    from ._jobs import read_table

    rows = len(read_table(table, columns=["path"]))
    if rows == 0:
        print(
            f"audiosk extract: error: no file could be described; the reasons are in "
            f"{table.with_name(table.stem + '.failures.csv')}",
            file=sys.stderr,
        )
        return 1
    print(f"{rows} rows written to {table}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
