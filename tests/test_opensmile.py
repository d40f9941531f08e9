"""openSMILE's feature sets as a transformer: openSMILE's values, any clip length, the rate kept."""

import doctest
import sys

import numpy as np
import pytest

from audiosk.containers import WaveformArray, Waveforms
from audiosk.features import OpenSMILEFeatures
from audiosk.features._opensmile import _smile

from ._helpers import chirp

SR = 16000


def needs_opensmile():
    return pytest.importorskip(
        "opensmile",
        reason="the opensmile package is not installed (pip install audiosk[opensmile])",
    )


def voice(seconds=1.0, f0=140.0, seed=0):
    """A buzz with harmonics under a gliding formant-like resonance, and a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    y = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 12)) * 0.1
    y = y + 0.2 * chirp(seconds, SR, f0=500.0, f1=1500.0) + 0.01 * rng.normal(size=t.size)
    return y.astype(np.float32)


@pytest.mark.parametrize(
    ("feature_set", "n_features"), [("eGeMAPSv02", 88), ("ComParE_2016", 6373)]
)
def test_functionals_are_opensmiles_own(feature_set, n_features):
    opensmile = needs_opensmile()
    clips = [voice(1.0), voice(0.4, f0=220.0, seed=1), voice(2.5, f0=100.0, seed=2)]
    step = OpenSMILEFeatures(feature_set).fit(Waveforms(clips, sr=SR))
    table = step.transform(Waveforms(clips, sr=SR))
    assert table.shape == (3, n_features) and table.dtype == np.float32
    smile = opensmile.Smile(opensmile.FeatureSet[feature_set], opensmile.FeatureLevel.Functionals)
    for i, clip in enumerate(clips):
        expected = smile.process_signal(clip, SR)
        np.testing.assert_allclose(table[i], expected.to_numpy()[0], rtol=1e-6)
    assert list(step.get_feature_names_out()) == list(expected.columns)
    # the functionals describe the clips: eGeMAPS's mean pitch follows the buzz's f0
    if feature_set == "eGeMAPSv02":
        f0 = table[:, list(expected.columns).index("F0semitoneFrom27.5Hz_sma3nz_amean")]
        hz = 27.5 * 2 ** (f0 / 12)
        np.testing.assert_allclose(hz, [140.0, 220.0, 100.0], rtol=0.05)


def test_low_level_descriptors_are_spectra_of_each_clip():
    opensmile = needs_opensmile()
    clips = [voice(1.0), voice(0.5, seed=1)]
    lld = OpenSMILEFeatures(feature_level="lld", sr=SR).fit_transform(clips)
    smile = opensmile.Smile(
        opensmile.FeatureSet.eGeMAPSv02, opensmile.FeatureLevel.LowLevelDescriptors
    )
    assert lld.sr == SR and [x.shape[0] for x in lld] == [25, 25]
    for x, clip in zip(lld, clips, strict=True):
        expected = smile.process_signal(clip, SR).to_numpy().T
        assert x.shape == expected.shape and x.shape[1] > 0.09 * len(clip) / SR * 100  # 10 ms hop
        np.testing.assert_allclose(x, expected, rtol=1e-6)
    # clips of one length give one array, (n_clips, n_lld, n_frames)
    fixed = OpenSMILEFeatures(feature_level="lld", sr=SR).fit_transform(np.stack([clips[0]] * 2))
    assert fixed.shape == (2, *lld[0].shape)
    np.testing.assert_array_equal(fixed[1], lld[0])
    deltas = OpenSMILEFeatures("ComParE_2016", "lld_deltas", sr=SR).fit_transform([clips[1]])
    assert deltas.shape[1] == 65
    with pytest.raises(
        ValueError, match="'lld_deltas' is not available for feature_set='eGeMAPSv02'"
    ):
        OpenSMILEFeatures("eGeMAPSv02", "lld_deltas", sr=SR).fit(clips)


def test_a_clip_shorter_than_a_frame_is_padded_with_silence():
    opensmile = needs_opensmile()
    short = voice(0.02)  # 320 samples: openSMILE alone returns NaN
    smile = opensmile.Smile(opensmile.FeatureSet.eGeMAPSv02)
    with pytest.warns(UserWarning, match="Segment too short"):
        assert np.isnan(smile.process_signal(short, SR).to_numpy()).all()
    table = OpenSMILEFeatures(sr=SR).fit_transform([short, voice(1.0)])
    assert np.isfinite(table).all()
    padded = np.r_[short, np.zeros(int(0.06 * SR) - len(short), np.float32)]
    np.testing.assert_allclose(table[0], smile.process_signal(padded, SR).to_numpy()[0], rtol=1e-6)


def test_full_scale_samples_are_not_wrapped():
    opensmile = needs_opensmile()
    t = np.arange(SR) / SR
    square = np.sign(np.sin(2 * np.pi * 200 * t)).astype(np.float32)  # +-1.0 exactly
    table = OpenSMILEFeatures(sr=SR).fit_transform([square, 0.999 * square])
    # openSMILE reads 16-bit samples: 1.0 * 32768 wraps to -32768 unless clipped first
    np.testing.assert_allclose(table[0], table[1], rtol=0.02, atol=0.05)
    smile = opensmile.Smile(opensmile.FeatureSet.eGeMAPSv02)
    wrapped = smile.process_signal(square, SR).to_numpy()[0]
    assert not np.allclose(wrapped, table[0], rtol=0.02, atol=0.05)


def test_the_rate_is_the_clips_own():
    needs_opensmile()
    clip = voice(1.0)
    step = OpenSMILEFeatures().fit(WaveformArray(clip[None], sr=SR))
    assert step.sample_rate_ == SR
    with pytest.raises(ValueError, match=f"fitted on waveforms at {SR} Hz, but X carries 8000 Hz"):
        step.transform(WaveformArray(clip[None], sr=8000))
    # read as 8 kHz audio, the same samples are another sound (an octave lower): other features
    low = OpenSMILEFeatures(sr=8000).fit_transform(clip[None])
    assert not np.allclose(low, step.transform(clip[None]), rtol=0.05)


def test_bad_clips_are_refused_by_index():
    needs_opensmile()
    with pytest.raises(ValueError, match=r"clip 1 of X contains NaN"):
        OpenSMILEFeatures(sr=SR).fit_transform([voice(0.5), np.r_[voice(0.3), np.nan]])
    with pytest.raises(ValueError, match=r"clip \[0\] of X has 0 samples"):
        OpenSMILEFeatures(sr=SR).fit_transform([np.zeros(0), voice(0.3)])


def test_the_examples_run():
    """The class's examples are marked to skip (opensmile is optional): they run here instead."""
    needs_opensmile()
    text = OpenSMILEFeatures.__doc__.replace("# doctest: +SKIP", "")
    test = doctest.DocTestParser().get_doctest(text, {}, "OpenSMILEFeatures", None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0 and runner.tries >= 5


def test_a_missing_package_says_how_to_install_it(monkeypatch):
    _smile.cache_clear()
    monkeypatch.setitem(sys.modules, "opensmile", None)  # import opensmile raises ImportError
    with pytest.raises(ImportError, match=r"pip install audiosk\[opensmile\]"):
        OpenSMILEFeatures(sr=SR).fit([np.zeros(1000)])
    _smile.cache_clear()
