"""The ``audiosk`` command."""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

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


#: ``audiosk demo --quick``: the classical models it keeps, and its folds and epochs.
QUICK_BASELINES = ("logistic regression", "k-NN")
QUICK_FOLDS = 2
QUICK_MAX_EPOCHS = 2


def demo(
    folds: int | None = None,
    max_epochs: int | str | None = None,
    n_jobs: int | None = None,
    quick: bool = False,
    verbose: int = 1,
) -> object:
    """Compare the default net with the classical panel on the embedded spoken digits.

    Parameters
    ----------
    folds : int or None, default=None
        Speaker-grouped folds (GroupKFold): no speaker is on both sides;
        between 2 and 6 (the embedded digits have 6 speakers). None: 3, or
        2 with ``quick``.
    max_epochs : int, "auto" or None, default=None
        Training epochs of the net. None: "auto" (the recipe's), or 2 with
        ``quick``.
    n_jobs : int or None, default=None
        Number of jobs run in parallel (joblib): folds, in processes.
        ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; ``-1`` means one per core.
    quick : bool, default=False
        A run of seconds that checks an installation: the net trains for 2
        epochs and only logistic regression and k-NN stand for the
        classical panel. The table has the same columns.
    verbose : int, default=1
        Progress of :func:`~audiosk.model_selection.compare` on standard
        error, a line per model and fold; 0 is silent.

    Returns
    -------
    table : pandas.DataFrame of shape (n_models, n_columns)
        The comparison table, one row per model (see
        :func:`audiosk.model_selection.compare`).

    Examples
    --------
    >>> from audiosk.cli import demo
    >>> table = demo(quick=True)  # doctest: +SKIP
    >>> list(table.index)  # doctest: +SKIP
    ['logistic regression (descriptors)', 'k-NN (descriptors)', 'log-Mel + NeuralClassifier()']
    """
    from sklearn.model_selection import GroupKFold

    from .datasets import load_spoken_digits
    from .model_selection import classical_baselines, compare

    if folds is None:
        folds = QUICK_FOLDS if quick else 3
    if max_epochs is None:
        max_epochs = QUICK_MAX_EPOCHS if quick else "auto"
    digits = load_spoken_digits()
    panel = classical_baselines(digits.filenames, sr=8000)
    if quick:
        panel = {name: model for name, model in panel.items() if name.startswith(QUICK_BASELINES)}
    return compare(
        demo_estimators(max_epochs=max_epochs),
        digits.filenames,
        digits.target,
        cv=GroupKFold(folds),
        groups=digits.groups,
        baselines=panel,
        n_jobs=n_jobs,
        verbose=verbose,
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


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: the command, the flag and the fix."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _int_in(low: int, high: int | None) -> Callable[[str], int]:
    """Make an argparse type: an integer from ``low`` to ``high`` (None: no upper bound)."""
    bounds = f"an integer >= {low}" if high is None else f"an integer from {low} to {high}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {bounds}; got '{text}'") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {bounds}; got {value}")
        return value

    parse.__name__ = bounds  # argparse names the type in some messages
    return parse


def _epochs(text: str) -> int | str:
    """Parse ``--max-epochs``: "auto" or an integer >= 1."""
    if text == "auto":
        return text
    try:
        return _int_in(1, None)(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"must be 'auto' or an integer >= 1; got '{text}'"
        ) from None


def _n_jobs(text: str) -> int:
    """Parse ``--n-jobs``: a number of workers, or -1 for all cores (joblib's convention)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value == 0 or value < -1:
        raise argparse.ArgumentTypeError(
            f"must be an integer >= 1, or -1 for all cores; got '{text}'"
        )
    return value


def _positive_float(text: str) -> float:
    """Parse a number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0; got '{text}'")
    return value


def _folder(text: str) -> Path:
    """Check that a folder exists; keep its name as given."""
    if not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"'{text}' is not a folder")
    return Path(text)


def _table(text: str) -> Path:
    """Check that an output table is a .csv or .parquet file name."""
    if Path(text).suffix.lower() not in (".csv", ".parquet"):
        raise argparse.ArgumentTypeError(f"must end in .csv or .parquet; got '{text}'")
    return Path(text)


def _parser() -> _Parser:
    """Build the parser of the ``audiosk`` command and its subcommands."""
    parser = _Parser(
        prog="audiosk", description="Machine learning on audio as a scikit-learn problem."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo_parser = commands.add_parser(
        "demo",
        help="cross-validate audio pipelines on the embedded spoken digits",
        description="Cross-validate, with speaker-grouped folds, the default neural net on "
        "log-Mel spectrograms against the classical panel on descriptor statistics (logistic "
        "regression, random forest, gradient boosting, SVC, k-NN, MLPClassifier; and SVC on "
        "openSMILE's ComParE_2016 when opensmile is installed) on the "
        "600 spoken digits embedded in audiosk, and print a table of accuracy, balanced "
        "accuracy and macro F1 (mean +- std over folds) with the fit time per fold.",
    )
    demo_parser.add_argument(
        "--folds",
        type=_int_in(2, 6),
        default=None,
        help="speaker-grouped folds, 2 to 6 (the digits have 6 speakers; default 3, --quick 2)",
    )
    demo_parser.add_argument(
        "--max-epochs",
        type=_epochs,
        default=None,
        metavar="{auto,N}",
        help="epochs of the net: auto (the recipe's) or an integer >= 1 (default auto, --quick 2)",
    )
    demo_parser.add_argument(
        "--n-jobs", type=_n_jobs, default=None, help="folds run in parallel (-1: all cores)"
    )
    demo_parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a run of seconds: {QUICK_FOLDS} folds, {QUICK_MAX_EPOCHS} epochs, and "
        f"{' and '.join(QUICK_BASELINES)} as the classical panel",
    )
    demo_parser.add_argument(
        "--verbose",
        type=_int_in(0, None),
        default=1,
        help="progress on standard error, a line per model and fold; 0 is silent (default 1)",
    )
    extract_parser = commands.add_parser(
        "extract",
        help="describe every audio file under a folder in one table",
        description="Compute a feature table (one row per file, or per window) for every audio "
        "file under DIR, in parallel, with a progress bar. A file that fails is listed in "
        "<TABLE>.failures.csv and does not stop the run; running the same command again "
        "after an interruption skips the files already done.",
    )
    extract_parser.add_argument(
        "directory", type=_folder, metavar="DIR", help="folder searched recursively for audio"
    )
    extract_parser.add_argument(
        "-o",
        "--out",
        required=True,
        type=_table,
        metavar="TABLE",
        help="output .csv or .parquet",
    )
    extract_parser.add_argument(
        "--extractor",
        default="gtzan",
        choices=["gtzan", "mfcc"],
        help="feature set (default gtzan)",
    )
    extract_parser.add_argument(
        "--sr",
        type=_int_in(1, None),
        default=22050,
        help="sample rate the files are loaded at, in Hz (default 22050)",
    )
    extract_parser.add_argument(
        "--window-seconds",
        type=_positive_float,
        default=None,
        help="one row per window of this many seconds",
    )
    extract_parser.add_argument(
        "--hop-seconds",
        type=_positive_float,
        default=None,
        help="seconds between the starts of two windows (default: --window-seconds)",
    )
    extract_parser.add_argument(
        "--n-jobs", type=_n_jobs, default=None, help="worker processes (-1: all cores)"
    )
    extract_parser.add_argument(
        "--all-files", action="store_true", help="try every file, not only audio extensions"
    )
    return parser


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
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 1
    try:
        return _run(args)
    except KeyboardInterrupt:  # Ctrl-C: one line and the shell's status for SIGINT, no traceback
        print(f"\naudiosk {args.command}: interrupted.", file=sys.stderr)
        return 130


def _run(args) -> int:
    """Run the subcommand ``args.command``."""
    if args.command == "demo":
        start = time.perf_counter()
        folds = args.folds or (QUICK_FOLDS if args.quick else 3)
        print(
            f"Spoken digits (600 clips, 6 speakers, 8 kHz): {folds}-fold cross-validation "
            "grouped by speaker (no speaker in both training and test folds).",
            flush=True,
        )
        table = demo(
            folds=folds,
            max_epochs=args.max_epochs,
            n_jobs=args.n_jobs,
            quick=args.quick,
            verbose=args.verbose,
        )
        print(format_table(table))
        print(f"\nTotal time: {time.perf_counter() - start:.0f} s")
        return 0
    return _extract(args)


def _extract(args) -> int:
    """Run ``audiosk extract``: one line per error, a non-zero status when nothing came out."""
    from .datasets import load_audio_folder
    from .extraction import extract_features

    folder = Path(args.out).parent
    if not folder.is_dir():  # before the files are listed, and in the flag's words
        print(
            f"audiosk extract: error: argument -o/--out: the folder '{folder}' does not exist; "
            "create it first.",
            file=sys.stderr,
        )
        return 2
    extensions = None if args.all_files else AUDIO_EXTENSIONS
    try:
        files = load_audio_folder(args.directory, labels=None, extensions=extensions)
    except ValueError:  # the folder holds no (audio) file
        which = "file" if extensions is None else "file with an audio extension"
        hint = "" if extensions is None else "; pass --all-files to try every file"
        print(
            f"audiosk extract: error: no {which} under '{args.directory}'{hint}.", file=sys.stderr
        )
        return 2
    try:
        table = extract_features(
            files.filenames,
            args.extractor,
            out=args.out,
            sr=args.sr,
            window_seconds=args.window_seconds,
            hop_seconds=args.hop_seconds,
            n_jobs=args.n_jobs,
            return_table=False,
        )
    except (ValueError, TypeError, OSError, RuntimeError) as exc:
        print(f"audiosk extract: error: {exc}", file=sys.stderr)
        return 1
    from ._jobs import read_table

    rows = len(read_table(table, columns=["path"]))
    if rows == 0:
        print(
            f"audiosk extract: error: no file could be described; the reasons are in "
            f"{table.with_name(table.name + '.failures.csv')}",
            file=sys.stderr,
        )
        return 1
    print(f"{rows} rows written to {table}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
