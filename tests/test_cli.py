"""The audiosk command and the comparison table."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GroupKFold, cross_val_score

from audiosk.cli import main
from audiosk.model_selection import compare


def test_compare_classifiers_matches_cross_val_score():
    X, y = make_classification(n_samples=120, random_state=0)
    groups = np.arange(120) % 4
    table = compare(
        {"dummy": DummyClassifier(), "logreg": LogisticRegression()},
        X,
        y,
        cv=GroupKFold(4),
        groups=groups,
    )
    assert list(table.index) == ["logreg", "dummy"]
    expected = cross_val_score(LogisticRegression(), X, y, cv=GroupKFold(4), groups=groups)
    assert table.loc["logreg", "accuracy_mean"] == pytest.approx(expected.mean())
    assert table.loc["logreg", "accuracy_std"] == pytest.approx(expected.std())
    assert {"balanced_accuracy_mean", "f1_macro_std", "fit_time", "score_time"} <= set(
        table.columns
    )


def test_compare_regressors_reports_positive_errors_best_first():
    X, y = make_regression(n_samples=80, n_features=3, noise=1.0, random_state=0)
    table = compare({"dummy": DummyRegressor(), "linear": LinearRegression()}, X, y, cv=4)
    assert list(table.index) == ["linear", "dummy"]
    mse = -cross_val_score(LinearRegression(), X, y, cv=4, scoring="neg_mean_squared_error")
    assert table.loc["linear", "mse_mean"] == pytest.approx(mse.mean())
    assert table.loc["linear", "r2_mean"] > 0.9


@pytest.mark.slow
def test_cli_help_and_quick_demo(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--help"])
    assert exit_info.value.code == 0
    assert "speaker-grouped" in capsys.readouterr().out
    assert main(["demo", "--quick"]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "2-fold cross-validation" in out
    # progress on standard error by default: a plain line per model and fold
    assert "fold 2/2  log-Mel + NeuralClassifier(): accuracy" in captured.err
    assert "\r" not in captured.err and "\x1b" not in captured.err
    rows = {line.split("  ")[0]: line for line in out.splitlines()}
    assert {
        "logistic regression (descriptors)",
        "k-NN (descriptors)",
        "log-Mel + NeuralClassifier()",
    } <= set(rows)
    name = "logistic regression (descriptors)"
    accuracy = float(rows[name][len(name) :].split()[0])
    assert accuracy > 0.3  # chance is 0.1
    # the same columns as the full table: three metrics as mean +- std, then the fit time
    assert rows["log-Mel + NeuralClassifier()"].count("+-") == 3


BAD_DEMO_FLAGS = {
    "--folds 1": ("--folds", "from 2 to 6"),
    "--folds 0": ("--folds", "from 2 to 6"),
    "--folds 7": ("--folds", "from 2 to 6"),
    "--n-jobs 0": ("--n-jobs", "-1 for all cores"),
    "--max-epochs 0": ("--max-epochs", "'auto' or an integer >= 1"),
    "--max-epochs abc": ("--max-epochs", "got 'abc'"),
    "--verbose -1": ("--verbose", "an integer >= 0"),
}


@pytest.mark.parametrize("flags", list(BAD_DEMO_FLAGS))
def test_bad_demo_flag_is_one_line_naming_it(flags, capsys):
    flag, fix = BAD_DEMO_FLAGS[flags]
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", *flags.split()])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert captured.out == "" and err.count("\n") == 0, err
    assert err.startswith(f"audiosk demo: error: argument {flag}: ") and fix in err


def test_demo_verbose_reaches_compare(monkeypatch, capsys):
    import pandas as pd

    import audiosk.cli

    calls = []
    table = pd.DataFrame(
        {"accuracy_mean": [0.5], "accuracy_std": [0.1], "fit_time": [1.0]}, index=["model"]
    )
    monkeypatch.setattr(audiosk.cli, "demo", lambda **kwargs: calls.append(kwargs) or table)
    assert main(["demo", "--quick", "--verbose", "0"]) == 0
    assert main(["demo", "--quick"]) == 0
    assert [call["verbose"] for call in calls] == [0, 1]
    assert "0.500 +- 0.100" in capsys.readouterr().out


@pytest.mark.slow  # a fresh interpreter importing torch
def test_bad_demo_flag_from_the_shell_has_no_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "audiosk.cli", "demo", "--folds", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].startswith("audiosk demo: error: argument --folds")
    assert "Traceback" not in result.stderr


def test_extract_errors_are_one_line_with_paths_intact(tmp_path, capsys):
    folder = tmp_path / "x_n_jobs_dir"
    folder.mkdir()
    (folder / "broken.wav").write_text("not audio")
    out = tmp_path / "t.csv"
    with pytest.raises(SystemExit) as exit_info:
        main(["extract", str(folder), "-o", str(out), "--window-seconds", "-1"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    assert err.startswith("audiosk extract: error: argument --window-seconds: must be")
    for flags, flag in (
        (["--sr", "0"], "--sr"),
        (["--n-jobs", "0"], "--n-jobs"),
        (["--extractor", "mel"], "--extractor"),
    ):
        with pytest.raises(SystemExit):
            main(["extract", str(folder), "-o", str(out), *flags])
        assert f"argument {flag}: " in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["extract", str(folder), "-o", str(tmp_path / "t.txt")])
    assert "must end in .csv or .parquet" in capsys.readouterr().err
    # nothing could be read: a non-zero status naming the failures table
    assert main(["extract", str(folder), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "no file could be described" in err and "t.csv.failures.csv" in err
    # a folder is named as given, whatever words its name holds
    missing = tmp_path / "empty_n_jobs_sr=_dir"
    with pytest.raises(SystemExit):
        main(["extract", str(missing), "-o", str(out)])
    assert f"'{missing}' is not a folder" in capsys.readouterr().err
    (folder / "broken.wav").rename(folder / "notes.txt")
    assert main(["extract", str(folder), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"'{folder}'" in err and "pass --all-files" in err


def test_extract_writes_a_table_gtzan_table_reads(tmp_path, capsys):
    # issue 33, defect 14: `audiosk extract` wrote a table gtzan_table could not read
    import soundfile as sf

    from audiosk.datasets import gtzan_table
    from audiosk.features._gtzan import GTZAN_COLUMNS

    from ._helpers import music

    folder = tmp_path / "genres"
    for genre in ("blues", "jazz"):
        (folder / genre).mkdir(parents=True)
        sf.write(str(folder / genre / f"{genre}.00001.wav"), music(1.0, seed=len(genre)), 22050)
    out = tmp_path / "features.csv"
    assert main(["extract", str(folder), "-o", str(out)]) == 0
    table = gtzan_table(out)
    assert list(table.data.columns) == GTZAN_COLUMNS[1:]
    assert table.target_names.tolist() == ["blues", "jazz"] and table.target.tolist() == [0, 1]
    # issue 33, defect 11: a missing output folder is one line naming it, not the lock file
    capsys.readouterr()
    assert main(["extract", str(folder), "-o", str(tmp_path / "nope" / "t.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("audiosk extract: error: argument -o/--out")
    assert f"'{tmp_path / 'nope'}' does not exist" in err and ".lock" not in err


def test_ctrl_c_ends_a_command_with_one_line_and_status_130():
    import signal

    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from audiosk.cli import main; sys.exit(main())",
            "demo",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = process.stdout.readline()  # the demo has started its work
    assert first.startswith("Spoken digits")
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err[-2000:]
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "audiosk demo: interrupted."
