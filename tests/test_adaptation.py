"""Speaker adaptation: frequency warping and VTLNClassifier."""

import matplotlib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline

from audiosk.adaptation import VTLNClassifier
from audiosk.features import Flatten, SpectrogramScaler, warp_frequency

matplotlib.use("Agg")
SR = 8000


def test_warp_frequency_reads_bins_at_scaled_positions():
    ramp = np.arange(10.0).reshape(1, 10, 1).repeat(3, axis=2)
    np.testing.assert_allclose(
        warp_frequency(ramp, 1.25)[0, :, 1], np.minimum(np.arange(10) * 1.25, 9), rtol=1e-6
    )
    np.testing.assert_allclose(warp_frequency(ramp, 0.8)[0, :, 2], np.arange(10) * 0.8, rtol=1e-6)
    np.testing.assert_array_equal(warp_frequency(ramp, 1.0), ramp)
    images = np.arange(8.0).reshape(1, 1, 8, 1).repeat(2, axis=0)  # (n, channels, bins, frames)
    np.testing.assert_allclose(warp_frequency(images, 2.0)[1, 0, :, 0], [0, 2, 4, 6, 7, 7, 7, 7])
    with pytest.raises(ValueError, match=r"shape \(3, 10\)"):
        warp_frequency(ramp[:, :, 0].repeat(3, axis=0), 1.1)
    with pytest.raises(
        ValueError, match=r"'factor' parameter of warp_frequency .* range \(0.0, inf\)"
    ):
        warp_frequency(ramp, 0.0)


def _formant_clips(scale, n_per_class, rng, n_classes=4, bins=64):
    """Class k: one spectral peak at 20 * 1.1**k bins, times the speaker's ``scale``, plus noise."""
    peaks = 20 * 1.1 ** np.arange(n_classes) * scale
    y = np.repeat(np.arange(n_classes), n_per_class)
    clean = np.exp(-0.5 * (np.arange(bins)[None, :] - peaks[y][:, None]) ** 2)
    X = clean[:, :, None] + 0.05 * rng.normal(size=(len(y), bins, 5))
    return X.astype(np.float32), y


def test_vtln_classifier_finds_each_speakers_warp():
    rng = np.random.default_rng(0)
    X, y = _formant_clips(1.0, 20, rng)
    model = VTLNClassifier(make_pipeline(Flatten(), LogisticRegression(C=1.0, max_iter=2000))).fit(
        X, y
    )
    # a speaker 10 % higher reads class k as class k + 1, one 10 % lower as class k - 1
    speakers = {
        1.1: _formant_clips(1.1, 5, rng),
        1.0: _formant_clips(1.0, 5, rng),
        0.9: _formant_clips(0.9, 5, rng),
    }
    X_test = np.concatenate([Xs for Xs, _ in speakers.values()])
    y_test = np.concatenate([ys for _, ys in speakers.values()])
    groups = np.repeat(list(speakers), 20)
    plain = model.estimator_.predict(X_test)
    assert np.mean(plain[groups != 1.0] == y_test[groups != 1.0]) < 0.5
    np.testing.assert_allclose(
        model.select_factors(X_test, groups), [1.1] * 20 + [1.0] * 20 + [0.9] * 20
    )
    assert np.mean(model.predict(X_test, groups) == y_test) == 1.0
    # without groups one factor is chosen for all clips
    assert len(set(model.select_factors(X_test).tolist())) == 1
    # each group's probabilities are the estimator's on the warped spectra
    proba = model.predict_proba(X_test, groups)
    np.testing.assert_allclose(
        proba[:20], model.estimator_.predict_proba(warp_frequency(X_test[:20], 1.1)), rtol=1e-6
    )
    assert model.score(X_test[20:40], y_test[20:40]) == 1.0


def test_vtln_classifier_in_a_pipeline_and_search():
    rng = np.random.default_rng(1)
    X, y = _formant_clips(1.0, 10, rng)
    (higher, y_higher), (lower, y_lower) = _formant_clips(1.1, 5, rng), _formant_clips(0.9, 5, rng)
    X_test, y_test, groups = (
        np.concatenate([higher, lower]),
        np.concatenate([y_higher, y_lower]),
        np.repeat([0, 1], 20),
    )
    vtln = VTLNClassifier(make_pipeline(Flatten(), LogisticRegression(max_iter=2000)))
    pipe = make_pipeline(SpectrogramScaler(per_clip=True), vtln).fit(X, y)
    # Pipeline.predict hands groups to the last step: one factor per speaker in a mixed batch
    assert np.mean(pipe.predict(X_test, groups=groups) == y_test) == 1.0
    assert np.mean(pipe.predict(X_test) == y_test) < 0.5  # one compromise factor for both speakers
    np.testing.assert_allclose(
        pipe[-1].select_factors(pipe[:-1].transform(X_test), groups), [1.1] * 20 + [0.9] * 20
    )
    search = GridSearchCV(
        pipe,
        {"vtlnclassifier__estimator__logisticregression__C": [0.1, 1.0]},
        cv=KFold(2, shuffle=True, random_state=0),
    )
    chosen = search.fit(X, y).best_params_["vtlnclassifier__estimator__logisticregression__C"]
    assert chosen == search.best_estimator_[-1].estimator_[-1].C
    single = clone(vtln).set_params(factors=[1.0]).fit(X, y)
    np.testing.assert_allclose(
        single.predict_proba(X_test), single.estimator_.predict_proba(X_test), rtol=1e-6
    )


def _channel_clips(channel, rng, n_per_class=10, bins=16, frames=6):
    """dB spectra: class 0 a peak at bin 4, class 1 at bin 11; voiced frames 1-4, padding at -100 dB.

    ``channel`` (n_bins,) is the speaker's microphone: a gain added to every voiced bin.
    """
    y = np.repeat([0, 1], n_per_class)
    peak = np.where(np.arange(bins)[None, :] == np.where(y, 11, 4)[:, None], 20.0, 0.0)
    voiced = -40 + peak[:, :, None] + channel[None, :, None] + rng.normal(0, 1, (len(y), bins, 4))
    X = np.full((len(y), bins, frames), -100.0)
    X[:, :, 1:5] = voiced
    return X.astype(np.float32), y


def test_vtln_classifier_center_per_group_removes_each_speakers_channel():
    rng = np.random.default_rng(3)
    flat, tilt = (
        np.zeros(16),
        np.where(np.arange(16) >= 8, 30.0, 0.0),
    )  # a speaker with +30 dB above bin 8
    # two training speakers of different colours and sizes: their means differ from the pooled mean
    (Xa, ya), (Xb, yb) = (
        _channel_clips(flat, rng),
        _channel_clips(np.where(np.arange(16) < 8, 10.0, 0.0), rng, 5),
    )
    X, y, groups = np.concatenate([Xa, Xb]), np.concatenate([ya, yb]), np.repeat([0, 1], [20, 10])
    estimator = make_pipeline(
        SpectrogramScaler(per_clip=True), Flatten(), LogisticRegression(C=0.01, max_iter=2000)
    )
    model = VTLNClassifier(estimator, factors=[1.0], center_per_group=True)
    pipe = make_pipeline(model).fit(X, y, vtlnclassifier__groups=groups)
    # the training speakers' mean spectra over their voiced frames (the padding frames 0 and 5 left out)
    by_hand = np.mean([X[groups == g][:, :, 1:5].mean(axis=(0, 2)) for g in (0, 1)], axis=0)
    np.testing.assert_allclose(pipe[-1].mean_spectrum_, by_hand, rtol=1e-5)
    X_test, y_test = _channel_clips(tilt, rng)
    plain = make_pipeline(VTLNClassifier(estimator, factors=[1.0])).fit(X, y)
    assert (
        plain.score(X_test, y_test) == 0.5
    )  # every clip read as class 1, whose peak is in the louder half
    assert pipe.score(X_test, y_test) == 1.0
    np.testing.assert_array_equal(plain[-1].normalize(X_test), X_test)
    # the speaker's tilt is gone from its voiced frames (its level, 15 dB over the training speakers' 2.5 dB
    # average gain, stays); the padding stays
    shifted = pipe[-1].normalize(X_test)
    np.testing.assert_array_equal(shifted[:, :, [0, 5]], -100.0)
    np.testing.assert_allclose(shifted[:, :, 1:5].mean(axis=(0, 2)) - by_hand, 15.0 - 2.5, atol=0.5)
    # in training each speaker was measured on its own clips: both read with the same colour
    train = pipe[-1].normalize(X, groups)[:, :, 1:5]
    np.testing.assert_allclose(
        np.ptp(train[groups == 0].mean(axis=(0, 2)) - train[groups == 1].mean(axis=(0, 2))),
        0.0,
        atol=1e-3,
    )
    np.testing.assert_allclose(
        np.ptp(shifted[:, :, 1:5].mean(axis=(0, 2)) - by_hand), 0.0, atol=1e-3
    )


def test_vtln_classifier_rejects_bad_input():
    rng = np.random.default_rng(2)
    X, y = _formant_clips(1.0, 3, rng)
    model = VTLNClassifier(make_pipeline(Flatten(), LogisticRegression()))
    for factors in ([], [1.0, -0.9]):
        with pytest.raises(ValueError, match="factors"):
            clone(model).set_params(factors=factors).fit(X, y)
    model.fit(X, y)
    with pytest.raises(ValueError, match="spectrogram step"):
        model.predict(X.reshape(len(X), -1))
    with pytest.raises(ValueError, match="one speaker label per clip"):
        model.predict(X, groups=np.zeros(len(X) - 1))


def test_vtln_classifier_api():
    from sklearn.utils.estimator_checks import (
        check_get_params_invariance,
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
        check_set_params,
    )

    model = VTLNClassifier(LogisticRegression())
    for check in (
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
        check_get_params_invariance,
        check_set_params,
    ):
        check("VTLNClassifier", model)
