"""The classical baseline panel and compare(baselines=...)."""

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from audiosk.containers import WaveformArray, Waveforms
from audiosk.features import MFCC, TemporalStats
from audiosk.io import AudioLoader
from audiosk.model_selection import classical_baselines, compare
from audiosk.model_selection._baselines import input_kind
from audiosk.preprocessing import PadTrim


def test_input_kind_names_every_stage_of_the_contract():
    assert input_kind(["a.wav", "b.wav"]) == "paths"
    assert input_kind(np.array(["a.wav"])) == "paths"
    assert input_kind(Waveforms([np.zeros(5), np.zeros(7)], sr=8000)) == "waveforms"
    assert input_kind([np.zeros(5), np.zeros(7)]) == "waveforms"
    assert input_kind(WaveformArray(np.zeros((2, 5)), sr=8000)) == "waveforms"
    assert input_kind(np.zeros((2, 5))) == "table"
    assert input_kind(np.zeros((2, 4, 3))) == "spectra"
    assert input_kind(np.zeros((2, 1, 4, 3))) == "spectra"


def test_panel_fronts_follow_the_input():
    table = classical_baselines(np.zeros((4, 3)))
    assert len(table) == 6 and all(len(p.steps) == 2 for p in table.values())
    spectra = classical_baselines(np.zeros((4, 8, 5)))
    assert all(isinstance(p.steps[0][1], TemporalStats) for p in spectra.values())
    paths = classical_baselines(["a.wav"], sr=8000)
    steps = [type(s).__name__ for _, s in next(iter(paths.values())).steps]
    assert steps[:3] == ["AudioLoader", "MFCC", "TemporalStats"]  # each clip whole, no padding
    mfcc = next(iter(paths.values()))[1]
    assert (mfcc.sr, mfcc.n_fft, mfcc.hop_length) == (8000, 256, 64)  # 32 ms windows
    regressors = classical_baselines(np.zeros((4, 3)), classifier=False)
    assert list(regressors)[0] == "ridge (table)"


def test_panel_needs_a_rate_for_audio():
    with pytest.raises(ValueError, match="need their sample rate: pass sr="):
        classical_baselines(["a.wav"])
    with pytest.raises(ValueError, match="differs from the rate the waveforms carry"):
        classical_baselines(Waveforms([np.zeros(5)], sr=8000), sr=16000)
    carried = classical_baselines(Waveforms([np.zeros(5)], sr=16000))
    assert next(iter(carried.values()))[0].sr == 16000


def test_compare_adds_the_panel_on_the_same_folds_and_marks_the_best():
    X, y = make_classification(n_samples=120, n_features=8, random_state=0)
    groups = np.arange(120) % 4
    mine = {"mine": make_pipeline(StandardScaler(), LogisticRegression(C=0.01))}
    table = compare(mine, X, y, cv=GroupKFold(4), groups=groups, baselines="auto")
    assert len(table) == 7 and table["baseline"].sum() == 6
    assert table["best"].tolist() == [True] + [False] * 6
    assert table["accuracy_mean"].is_monotonic_decreasing
    svc = cross_val_score(
        make_pipeline(StandardScaler(), SVC()), X, y, cv=GroupKFold(4), groups=groups
    )
    assert table.loc["SVC (table)", "accuracy_mean"] == pytest.approx(svc.mean())
    with pytest.raises(ValueError, match="both estimators and baselines"):
        compare({"SVC (table)": SVC()}, X, y, baselines="auto")
    with pytest.raises(ValueError, match='baselines must be "auto"'):
        compare(mine, X, y, baselines="all")


def test_compare_regression_panel_and_custom_baselines():
    X, y = make_regression(n_samples=60, n_features=3, noise=1.0, random_state=0)
    auto = compare({"linear": LinearRegression()}, X, y, cv=3, baselines="auto")
    assert "ridge (table)" in auto.index and "SVR (table)" in auto.index
    assert auto["r2_mean"].is_monotonic_decreasing and auto["best"].iloc[0]
    table = compare({"linear": LinearRegression()}, X, y, cv=3, baselines={"ridge": Ridge()})
    assert table.loc["ridge", "baseline"] and not table.loc["linear", "baseline"]


def test_paths_panel_equals_the_hand_built_pipeline(tone_files):
    paths, labels, groups = tone_files
    table = compare(
        {
            "logreg": make_pipeline(
                AudioLoader(sr=8000),
                PadTrim(percentile=90, sr=8000),
                MFCC(sr=8000, n_mfcc=20, n_fft=256, hop_length=64),
                TemporalStats(stats=("mean", "std")),
                StandardScaler(),
                LogisticRegression(max_iter=1000),
            )
        },
        paths,
        labels,
        cv=GroupKFold(3),
        groups=groups,
        baselines="auto",
        sr=8000,
    )
    assert table.loc["logreg", "accuracy_mean"] == pytest.approx(
        table.loc["logistic regression (MFCC stats)", "accuracy_mean"]
    )
    assert table.loc["logistic regression (MFCC stats)", "accuracy_mean"] > 0.9


@pytest.mark.slow
def test_compare_decodes_once_and_scores_as_cross_validate_does(tone_files, decoded):
    from sklearn.model_selection import cross_validate

    paths, labels, groups = tone_files
    net_like = make_pipeline(
        AudioLoader(sr=8000),
        PadTrim(percentile=50, sr=8000),
        MFCC(sr=8000, n_mfcc=13, n_fft=256, hop_length=128),
        TemporalStats(stats=("mean",)),
        SVC(C=10.0),
    )
    cv = GroupKFold(3)
    table = compare(
        {"svc": net_like}, paths, labels, cv=cv, groups=groups, baselines="auto", sr=8000
    )
    # every file decoded once for the panel and the pipeline: they share the loader's settings
    assert sorted(decoded) == sorted(paths)
    # each row equals what cross_validate gives the same pipeline on the same folds, alone
    panel = {**classical_baselines(paths, sr=8000), "svc": net_like}
    splits = list(cv.split(paths, labels, groups))
    for name in ("svc", "SVC (MFCC stats)", "k-NN (MFCC stats)", "random forest (MFCC stats)"):
        alone = cross_validate(panel[name], paths, labels, cv=splits, scoring="f1_macro")
        assert table.loc[name, "f1_macro_mean"] == pytest.approx(alone["test_score"].mean())
        assert table.loc[name, "fit_time"] > 0 and table.loc[name, "score_time"] > 0
