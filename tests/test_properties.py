"""Property-based tests: every public transformer, driven with random shapes, dtypes and parameters.

For any input, a step either returns one finite output row per input clip, or
raises ValueError/TypeError whose message names the step.
"""

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audiosk.features import (
    MFCC,
    Deltas,
    Flatten,
    MelSpectrogram,
    Spectrogram,
    SpectrogramImage,
    SpectrogramScaler,
    TemporalStats,
)
from audiosk.preprocessing import PadTrim
from audiosk.utils import WaveformArray, Waveforms

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def waveforms(draw):
    """Clips of random count, lengths (equal or not), dtype and scale; carrying 8 kHz or not."""
    n = draw(st.integers(1, 4))
    equal = draw(st.booleans())
    lengths = (
        [draw(st.integers(1, 2500))] * n
        if equal
        else draw(st.lists(st.integers(1, 2500), min_size=n, max_size=n))
    )
    dtype = draw(st.sampled_from([np.float32, np.float64, np.int16]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    scale = 30000 if dtype is np.int16 else draw(st.sampled_from([1e-6, 0.5, 1.0]))
    clips = [(rng.uniform(-1, 1, size=m) * scale).astype(dtype) for m in lengths]
    carry = draw(st.booleans())
    if equal and draw(st.booleans()):
        X = np.stack(clips)
        return WaveformArray(X, sr=8000) if carry else X
    return Waveforms(clips, sr=8000) if carry else clips


@st.composite
def waveform_steps(draw):
    n_fft = draw(st.sampled_from([32, 64, 256, 1024]))
    hop = draw(st.integers(1, n_fft))
    sr = draw(st.sampled_from([None, 8000]))
    kind = draw(st.sampled_from(["pad", "spec", "mel", "mfcc"]))
    if kind == "pad":
        return PadTrim(
            length=draw(st.integers(1, 3000)),
            mode=draw(st.sampled_from(["constant", "wrap", "reflect"])),
        )
    if kind == "spec":
        return Spectrogram(sr=sr, n_fft=n_fft, hop_length=hop, db=draw(st.booleans()))
    n_mels = draw(st.integers(1, 40))
    if kind == "mel":
        return MelSpectrogram(sr=sr, n_fft=n_fft, hop_length=hop, n_mels=n_mels)
    return MFCC(sr=sr, n_fft=n_fft, hop_length=hop, n_mels=n_mels, n_mfcc=draw(st.integers(1, 40)))


def check_contract(step, X, n_clips):
    name = type(step).__name__
    try:
        with warnings.catch_warnings():  # warnings (empty Mel bands) are allowed
            warnings.simplefilter("ignore")
            out = step.fit_transform(X)
    except (ValueError, TypeError) as exc:
        assert name in str(exc), f"{name}'s error does not name it: {exc}"
        return
    assert len(out) == n_clips, f"{name} returned {len(out)} rows for {n_clips} clips"
    assert np.all(np.isfinite(np.asarray(out, dtype=np.float64))), f"{name} returned NaN/inf"


@SETTINGS
@given(step=waveform_steps(), X=waveforms())
def test_waveform_steps_keep_rows_and_stay_finite(step, X):
    check_contract(step, X, len(X))


@st.composite
def spectra(draw):
    n = draw(st.integers(1, 4))
    shape = (n, draw(st.integers(0, 12)), draw(st.integers(0, 30)))
    if draw(st.booleans()):
        shape = (n, draw(st.integers(1, 3)), *shape[1:])
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    return (rng.normal(size=shape) * draw(st.sampled_from([1e-3, 1.0, 80.0]))).astype(dtype)


SPECTRA_STEPS = st.one_of(
    st.builds(
        Deltas,
        width=st.sampled_from([3, 5, 9]),
        order=st.integers(1, 3),
        mode=st.sampled_from(["interp", "nearest"]),
    ),
    st.builds(
        TemporalStats, stats=st.sampled_from([("mean",), ("mean", "std"), ("min", "max", "skew")])
    ),
    st.just(Flatten()),
    st.builds(SpectrogramScaler, per_clip=st.booleans()),
    st.builds(
        SpectrogramImage,
        height=st.integers(1, 16),
        width=st.integers(1, 16),
        channels=st.sampled_from([1, 3]),
    ),
)


@SETTINGS
@given(step=SPECTRA_STEPS, X=spectra())
def test_spectra_steps_keep_rows_and_stay_finite(step, X):
    check_contract(step, X, len(X))
