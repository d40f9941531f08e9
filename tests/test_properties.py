"""Property-based tests: every public transformer, driven with random shapes, dtypes and parameters.

Valid input (a rate the step can know, clips at least one window long, enough
frames and bins) must succeed: one finite output row per input clip, each
row the same as for that clip alone. Any input at all either succeeds that
way or raises ValueError/TypeError whose message names the step.
"""

import warnings

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from audiosk.containers import WaveformArray, Waveforms
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
    """Any input: the step succeeds (one finite row per clip) or raises an error naming it."""
    name = type(step).__name__
    try:
        with warnings.catch_warnings():  # warnings (empty Mel bands) are allowed
            warnings.simplefilter("ignore")
            out = step.fit_transform(X)
    except (ValueError, TypeError) as exc:
        assert name in str(exc), f"{name}'s error does not name it: {exc}"
        return
    check_rows(step, out, n_clips)


def check_rows(step, out, n_clips):
    name = type(step).__name__
    assert len(out) == n_clips, f"{name} returned {len(out)} rows for {n_clips} clips"
    for row in out:
        assert np.all(np.isfinite(np.asarray(row, dtype=np.float64))), f"{name} returned NaN/inf"


def check_valid(step, X, n_clips, per_clip=True):
    """Valid input: the step must succeed, and each clip's row must not depend on the others."""
    with warnings.catch_warnings():  # empty Mel bands warn; the output is still defined
        warnings.simplefilter("ignore")
        out = clone(step).fit_transform(X)
        check_rows(step, out, n_clips)
        if not per_clip or n_clips == 1:
            return
        alone = clone(step).fit_transform(X[-1:])
    got, want = np.asarray(out[-1], np.float64), np.asarray(alone[0], np.float64)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * (1 + np.abs(want).max()))


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


@st.composite
def valid_waveform_cases(draw):
    """A step and clips it must accept: the rate known once, every clip at least n_fft long."""
    n_fft = draw(st.sampled_from([32, 64, 256, 1024]))
    hop = draw(st.integers(max(1, n_fft // 8), n_fft))
    carry = draw(st.booleans())  # the clips carry 8 kHz, or the step is told
    sr = None if carry else 8000
    kind = draw(st.sampled_from(["pad", "spec", "mel", "mfcc"]))
    n_mels = draw(st.integers(1, 40))
    step = {
        "pad": lambda: PadTrim(
            length=draw(st.integers(1, 3000)),
            mode=draw(st.sampled_from(["constant", "wrap", "reflect"])),
        ),
        "spec": lambda: Spectrogram(sr=sr, n_fft=n_fft, hop_length=hop, db=draw(st.booleans())),
        "mel": lambda: MelSpectrogram(sr=sr, n_fft=n_fft, hop_length=hop, n_mels=n_mels),
        "mfcc": lambda: MFCC(
            sr=sr,
            n_fft=n_fft,
            hop_length=hop,
            n_mels=n_mels,
            n_mfcc=draw(st.integers(1, n_mels)),
        ),
    }[kind]()
    n = draw(st.integers(1, 4))
    equal = kind != "pad" or draw(st.booleans())  # spectral steps take one length at a time
    lengths = [draw(st.integers(n_fft, 2500 if n_fft < 2500 else 3000))] * n
    if not equal:
        lengths = draw(st.lists(st.integers(1, 2500), min_size=n, max_size=n))
    dtype = draw(st.sampled_from([np.float32, np.float64, np.int16]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    scale = 30000 if dtype is np.int16 else draw(st.sampled_from([1e-6, 0.5, 1.0]))
    clips = [(rng.uniform(-1, 1, size=m) * scale).astype(dtype) for m in lengths]
    if equal:
        X = np.stack(clips)
        return step, (WaveformArray(X, sr=8000) if carry else X)
    return step, (Waveforms(clips, sr=8000) if carry else clips)


@SETTINGS
@given(case=valid_waveform_cases())
def test_waveform_steps_accept_valid_input(case):
    step, X = case
    check_valid(step, X, len(X))


@st.composite
def valid_spectra_cases(draw):
    """A spectral step and spectra it must accept: bins and enough frames for the step."""
    kind = draw(st.sampled_from(["deltas", "stats", "flatten", "scaler", "image"]))
    min_frames = 1
    if kind == "deltas":
        order = draw(st.integers(1, 3))
        width = draw(st.sampled_from([w for w in (3, 5, 9) if w > order]))
        step = Deltas(width=width, order=order, mode=draw(st.sampled_from(["interp", "nearest"])))
        min_frames = width
    elif kind == "stats":
        step = TemporalStats(stats=draw(st.sampled_from([("mean",), ("mean", "std"), ("min",)])))
    elif kind == "flatten":
        step = Flatten()
    elif kind == "scaler":
        step = SpectrogramScaler(per_clip=draw(st.booleans()))
    else:
        step = SpectrogramImage(
            height=draw(st.integers(1, 16)),
            width=draw(st.integers(1, 16)),
            channels=draw(st.sampled_from([1, 3])),
        )
    n = draw(st.integers(1, 4))
    shape = (n, draw(st.integers(1, 12)), draw(st.integers(min_frames, 30)))
    if kind in ("flatten", "scaler") and draw(st.booleans()):
        shape = (n, draw(st.integers(1, 3)), *shape[1:])
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    X = (rng.normal(size=shape) * draw(st.sampled_from([1e-3, 1.0, 80.0]))).astype(dtype)
    # a scaler fitted on all clips depends on all of them by design
    per_clip = not (kind == "scaler" and not step.per_clip)
    return step, X, per_clip


@SETTINGS
@given(case=valid_spectra_cases())
def test_spectra_steps_accept_valid_input(case):
    step, X, per_clip = case
    check_valid(step, X, len(X), per_clip=per_clip)


# The job layer's round trips (issue 33): a cache returns what its front end computes now, and
# an image folder holds, and reads back, what a fresh run on the same files would write.

import os  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import soundfile as sf  # noqa: E402
from sklearn.base import BaseEstimator, TransformerMixin  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

JOB_SR = 8000
N_JOB_FILES = 3


class ClipStats(TransformerMixin, BaseEstimator):
    """Peak and mean of each clip, times ``scale``; ``n_jobs`` changes nothing."""

    def __init__(self, scale=1.0, n_jobs=None):
        self.scale = scale
        self.n_jobs = n_jobs

    def fit(self, X, y=None):
        self.fitted_ = True
        return self

    def transform(self, X):
        return np.array([[np.max(np.abs(x)), np.mean(x)] for x in X]) * self.scale


def write_job_clip(path, seed, keep_time):
    """Noise of a fixed length; a negative seed writes a file that is not audio."""
    info = os.stat(path) if keep_time and os.path.exists(path) else None
    if seed < 0:
        Path(path).write_bytes(b"not audio")
    else:
        noise = np.random.default_rng(seed).uniform(-0.5, 0.5, JOB_SR // 20).astype(np.float32)
        sf.write(path, noise, JOB_SR)
    if info is not None:  # `cp -p`: the old modification time
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


PATH_FORMS = {
    "list": list,
    "tuple": tuple,
    "Series": pd.Series,
    "object array": lambda p: np.asarray(p, dtype=object),
    "Series.values": lambda p: pd.Series(p).values,
    "Path objects": lambda p: [Path(x) for x in p],
}

cache_runs = st.lists(
    st.fixed_dictionaries(
        {
            "train": st.lists(st.integers(0, N_JOB_FILES - 1), min_size=1, max_size=3, unique=True),
            "test": st.lists(st.integers(0, N_JOB_FILES - 1), min_size=1, max_size=3),
            "form": st.sampled_from(sorted(PATH_FORMS)),
            "scale": st.sampled_from([1.0, 2.0]),
            "n_jobs": st.sampled_from([None, 2]),
            "edit": st.none() | st.tuples(st.integers(0, N_JOB_FILES - 1), st.integers(0, 3)),
        }
    ),
    min_size=1,
    max_size=4,
)


STALE_SERIES = dict(train=[0, 1], test=[1], form="Series", scale=1.0, n_jobs=None)


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs=cache_runs)
@example(runs=[{**STALE_SERIES, "edit": None}, {**STALE_SERIES, "edit": (1, 3)}])
def test_a_cached_front_end_returns_what_it_computes_now(runs):
    from audiosk.io import AudioLoader
    from audiosk.model_selection import CachedTransformer

    with tempfile.TemporaryDirectory() as tmp:
        paths = [os.path.join(tmp, f"clip{i}.wav") for i in range(N_JOB_FILES)]
        for i, path in enumerate(paths):
            write_job_clip(path, 100 + i, keep_time=False)
        for step in runs:
            if step["edit"] is not None:
                write_job_clip(paths[step["edit"][0]], step["edit"][1], keep_time=True)
            form = PATH_FORMS[step["form"]]
            train = form([paths[i] for i in step["train"]])
            test = form([paths[i] for i in step["test"]])
            front = make_pipeline(
                AudioLoader(sr=JOB_SR, n_jobs=step["n_jobs"]),
                ClipStats(scale=step["scale"], n_jobs=step["n_jobs"]),
            )
            cached = CachedTransformer(front, memory=os.path.join(tmp, "cache"))
            fresh = clone(front)
            np.testing.assert_array_equal(cached.fit_transform(train), fresh.fit_transform(train))
            np.testing.assert_array_equal(cached.transform(test), fresh.transform(test))


image_folder_runs = st.lists(
    st.fixed_dictionaries(
        {
            "files": st.lists(st.integers(0, N_JOB_FILES - 1), min_size=1, max_size=3, unique=True),
            "groups": st.lists(st.sampled_from(["ann", "bob"]), min_size=3, max_size=3),
            "edit": st.none() | st.tuples(st.integers(0, N_JOB_FILES - 1), st.integers(-1, 3)),
        }
    ),
    min_size=1,
    max_size=3,
)


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs=image_folder_runs)
def test_an_image_folder_reads_back_what_a_fresh_run_writes(runs):
    from audiosk.datasets import ClipPaths
    from audiosk.images import write_spectrogram_images

    drawing = dict(sr=JOB_SR, n_fft=128, kinds=("mel",), n_mels=16, figsize=(0.64, 0.32))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = [str(folder / f"clip{i}.wav") for i in range(N_JOB_FILES)]
        for i, path in enumerate(paths):
            write_job_clip(path, 100 + i, keep_time=False)
        for number, step in enumerate(runs):
            if step["edit"] is not None:
                write_job_clip(paths[step["edit"][0]], step["edit"][1], keep_time=True)
            asked = ClipPaths(paths, groups=step["groups"])[step["files"]]
            write_spectrogram_images(asked, folder / "tree" / "c", **drawing)
            write_spectrogram_images(asked, folder / f"fresh{number}" / "c", **drawing)
            kept, fresh = (loaded(folder / name) for name in ("tree", f"fresh{number}"))
            on_disk = sorted(p.name for p in (folder / "tree" / "c" / "mel").glob("*.png"))
            if fresh is None:  # every file asked failed
                assert kept is None and on_disk == []
                continue
            names = [os.path.basename(p) for p in kept.filenames]
            assert names == [os.path.basename(p) for p in fresh.filenames] == on_disk
            np.testing.assert_array_equal(kept.data, fresh.data)
            assert kept.groups.tolist() == fresh.groups.tolist()
            assert set(kept.groups) <= set(asked.groups)


def loaded(root):
    """The images of ``root/<class>/mel``, or None when there are none."""
    from audiosk.datasets import load_image_folder

    try:
        return load_image_folder(root, kind="mel")
    except ValueError as exc:
        assert "found no image" in str(exc)
        return None
