"""The audiosk command and the comparison table."""

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
    assert (table["mse_mean"] > 0).all() and table.loc["linear", "r2_mean"] > 0.9


def test_cli_help_and_quick_demo(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--help"])
    assert exit_info.value.code == 0
    assert "speaker-grouped" in capsys.readouterr().out
    assert main(["demo", "--quick", "--folds", "2"]) == 0
    out = capsys.readouterr().out
    assert "MFCC stats + logistic regression" in out
    accuracy = float(out.split("logistic regression")[1].split()[0])
    assert accuracy > 0.3  # chance is 0.1


def test_extract_errors_are_one_line_with_cli_flags(tmp_path, capsys):
    folder = tmp_path / "audio"
    folder.mkdir()
    (folder / "broken.wav").write_text("not audio")
    out = tmp_path / "t.csv"
    assert main(["extract", str(folder), "-o", str(out), "--segment-seconds", "-1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    assert err.startswith("audiosk extract: error: --segment-seconds must be")
    # nothing could be read: a non-zero status naming the failures table
    assert main(["extract", str(folder), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "no file could be described" in err and "t.failures.csv" in err
    assert main(["extract", str(tmp_path / "empty"), "-o", str(out)]) == 2
    assert "is not a folder" in capsys.readouterr().err
