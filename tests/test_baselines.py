"""The classical baseline panel and compare(baselines=...)."""

import importlib.util
import sys

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from audiosk.containers import WaveformArray, Waveforms
from audiosk.features import MFCC, AudioDescriptors, TemporalStats
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


SCALED = {"logistic regression", "SVC", "k-NN", "MLPClassifier", "ridge", "SVR", "MLPRegressor"}


def test_panel_fronts_follow_the_input():
    table = classical_baselines(np.zeros((4, 3)))
    assert len(table) == 6
    for name, pipe in table.items():  # a scaler in front of the models that read distances
        steps = [type(s).__name__ for s in pipe]
        assert steps[:-1] == (["StandardScaler"] if name.split(" (")[0] in SCALED else [])
    spectra = classical_baselines(np.zeros((4, 8, 5)))
    assert all(isinstance(p.steps[0][1], TemporalStats) for p in spectra.values())
    paths = classical_baselines(["a.wav"], sr=8000, opensmile=False)
    assert len(paths) == 6
    steps = [type(s).__name__ for s in paths["SVC (descriptors)"]]
    assert steps == ["AudioLoader", "AudioDescriptors", "StandardScaler", "SVC"]
    forest = [type(s).__name__ for s in paths["random forest (descriptors)"]]
    assert forest == ["AudioLoader", "AudioDescriptors", "RandomForestClassifier"]
    descriptors = paths["SVC (descriptors)"][1]  # each clip whole, no padding, 32 ms windows
    assert descriptors.get_params() == AudioDescriptors(sr=8000).get_params()
    waveforms = classical_baselines(Waveforms([np.zeros(5)], sr=8000), opensmile=False)
    assert [type(s).__name__ for s in waveforms["k-NN (descriptors)"]][0] == "AudioDescriptors"
    regressors = classical_baselines(np.zeros((4, 3)), classifier=False)
    assert list(regressors)[0] == "ridge (table)"


def test_the_opensmile_row_is_added_where_asked_and_possible(monkeypatch):
    from audiosk.features._opensmile import _smile

    with pytest.raises(ValueError, match="opensmile=True\\) needs audio"):
        classical_baselines(np.zeros((4, 3)), opensmile=True)
    with pytest.raises(ValueError, match='opensmile must be True, False or "auto"'):
        classical_baselines(["a.wav"], sr=8000, opensmile="yes")
    assert len(classical_baselines(np.zeros((4, 8, 5)), opensmile="auto")) == 6  # spectra
    _smile.cache_clear()
    monkeypatch.setitem(sys.modules, "opensmile", None)  # as if not installed
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    assert len(classical_baselines(["a.wav"], sr=8000)) == 6  # "auto": left out
    with pytest.raises(ImportError, match=r"pip install audiosk\[opensmile\]"):
        classical_baselines(["a.wav"], sr=8000, opensmile=True)


def test_with_opensmile_installed_auto_adds_compare_and_svc():
    pytest.importorskip("opensmile", reason="the opensmile package is not installed")
    panel = classical_baselines(["a.wav"], sr=16000)
    assert list(panel)[-1] == "SVC (openSMILE ComParE_2016)" and len(panel) == 7
    steps = list(panel["SVC (openSMILE ComParE_2016)"])
    assert [type(s).__name__ for s in steps] == [
        "AudioLoader",
        "OpenSMILEFeatures",
        "StandardScaler",
        "SVC",
    ]
    assert steps[0].sr == steps[1].sr == 16000 and steps[1].feature_set == "ComParE_2016"
    regression = classical_baselines(Waveforms([np.zeros(5)], sr=16000), classifier=False)
    assert "SVR (openSMILE ComParE_2016)" in regression


def test_panel_needs_a_rate_for_audio():
    with pytest.raises(ValueError, match="need their sample rate: pass sr="):
        classical_baselines(["a.wav"])
    with pytest.raises(ValueError, match="differs from the rate the waveforms carry"):
        classical_baselines(Waveforms([np.zeros(5)], sr=8000), sr=16000)
    carried = classical_baselines(Waveforms([np.zeros(5)], sr=16000))
    assert all(pipe[0].sr == 16000 for pipe in carried.values())


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
                AudioDescriptors(sr=8000),
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
        table.loc["logistic regression (descriptors)", "accuracy_mean"]
    )
    assert table.loc["logistic regression (descriptors)", "accuracy_mean"] > 0.9


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
    for name in ("svc", "SVC (descriptors)", "k-NN (descriptors)", "random forest (descriptors)"):
        alone = cross_validate(panel[name], paths, labels, cv=splits, scoring="f1_macro")
        assert table.loc[name, "f1_macro_mean"] == pytest.approx(alone["test_score"].mean())
        assert table.loc[name, "fit_time"] > 0 and table.loc[name, "score_time"] > 0
