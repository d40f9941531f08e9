"""The data contract end to end: sample rates through scikit-learn, integer PCM, empty axes."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils import _safe_indexing

from audiosk.chunking import ChunkedClassifier
from audiosk.containers import DiskArray, Spectra, WaveformArray, Waveforms, to_float
from audiosk.datasets import load_pickle_folder
from audiosk.features import (
    MFCC,
    Flatten,
    GTZANFeatures,
    MelSpectrogram,
    Spectrogram,
    TemporalStats,
)
from audiosk.nets import NeuralClassifier
from audiosk.preprocessing import PadTrim


def tones(n=24, sr=8000, seed=0):
    """Clips of unequal length whose class is a low or a high tone."""
    rng = np.random.default_rng(seed)
    clips, y = [], []
    for i in range(n):
        t = np.arange(int(sr * rng.uniform(0.4, 0.6))) / sr
        freq = 400 if i % 2 == 0 else 1800
        clips.append((0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32))
        y.append(i % 2)
    return Waveforms(clips, sr=sr), np.array(y)


@pytest.mark.parametrize("rows", [np.array([0, 3, 5]), [1, 2], np.arange(24) % 3 == 0, slice(2, 9)])
def test_indexing_keeps_the_sample_rate(rows):
    W, _ = tones()
    part = _safe_indexing(W, rows)
    assert isinstance(part, Waveforms) and part.sr == 8000
    expected = np.arange(24)[rows]
    assert [len(c) for c in part] == [len(W[i]) for i in expected]
    assert pickle.loads(pickle.dumps(part)).sr == 8000


def test_cross_validation_uses_the_loaded_rate():
    W, y = tones()

    def pipe(sr):
        return make_pipeline(
            PadTrim(duration=0.5),
            MelSpectrogram(sr=sr, n_mels=20, n_fft=256, hop_length=128, db=True),
            TemporalStats(),
            LogisticRegression(max_iter=500),
        )

    adopted = cross_val_score(pipe(None), W, y, cv=3)
    explicit = cross_val_score(pipe(8000), W, y, cv=3)
    np.testing.assert_allclose(adopted, explicit)
    with pytest.raises(ValueError, match="configured with sr=22050"):
        cross_val_score(pipe(22050), W, y, cv=3, error_score="raise")


@pytest.mark.parametrize(
    "step",
    [
        MelSpectrogram(),
        MFCC(),
        PadTrim(duration=0.1),
        ChunkedClassifier(LogisticRegression(), window_seconds=0.1),
        GTZANFeatures(),
    ],
)
def test_no_rate_is_assumed(step):
    X = np.zeros((4, 4000), dtype=np.float32)
    y = np.array([0, 1, 0, 1])
    name = type(step).__name__
    with pytest.raises(
        ValueError, match=rf"{name} needs the sample rate.*{name}\(sr=\.\.\.\)"
    ) as err:
        step.fit(X, y)
    assert "configured with" not in str(err.value)  # the user configured no rate


def test_no_estimator_defaults_to_a_rate():
    """Every public estimator's ``sr`` defaults to None (adopt the input's rate), except the
    loader's, which is the rate it resamples files to and attaches to its output."""
    import inspect

    from .test_rates import public_estimators

    defaults = {
        name: inspect.signature(cls).parameters["sr"].default
        for name, cls in public_estimators().items()
        if "sr" in inspect.signature(cls).parameters
    }
    assert {"GTZANFeatures", "PadTrim", "MelSpectrogram"} <= set(defaults)
    assert {name: sr for name, sr in defaults.items() if sr is not None} == {"AudioLoader": 22050}


def test_an_explicit_rate_is_passed_on():
    plain = [np.zeros(100, np.float32), np.zeros(80, np.float32)]
    out = PadTrim(length=90, sr=8000).fit_transform(plain)
    assert isinstance(out, WaveformArray) and out.sr == 8000
    # the next step adopts it: 8 kHz and 22.05 kHz Mel filterbanks differ
    mel = MelSpectrogram(n_mels=8, n_fft=64, hop_length=32).fit_transform(out + 0.1)
    at_8k = MelSpectrogram(sr=8000, n_mels=8, n_fft=64, hop_length=32).fit_transform(out + 0.1)
    np.testing.assert_allclose(mel, at_8k)
    assert PadTrim(length=90).fit_transform(plain).sr is None  # nothing known, nothing invented


def test_integer_pcm_is_scaled_like_librosa():
    import librosa

    rng = np.random.default_rng(0)
    pcm = (rng.uniform(-0.5, 0.5, size=(3, 2048)) * 32767).astype(np.int16)
    floats = np.stack([librosa.util.buf_to_float(row.tobytes(), n_bytes=2) for row in pcm])
    np.testing.assert_array_equal(to_float(pcm), floats)
    mel = MelSpectrogram(sr=8000, n_fft=256, hop_length=128, db=True)
    np.testing.assert_allclose(mel.fit_transform(pcm), mel.fit_transform(floats), atol=1e-4)
    ragged = Waveforms([pcm[0], pcm[1, :1000]], sr=8000)
    np.testing.assert_allclose(PadTrim(length=1000).fit_transform(ragged)[1], floats[1, :1000])
    int32 = (floats * 2**31).astype(np.int32)
    np.testing.assert_allclose(to_float(int32), floats, atol=1e-6)
    with pytest.raises(TypeError, match="uint8 samples"):
        MelSpectrogram(sr=8000).fit_transform(np.full((2, 1024), 128, np.uint8))


def test_pickled_int16_audio_is_scaled(tmp_path):
    pcm = np.array([-32768, -16384, 0, 16384, 32767] * 200, dtype=np.int16)
    with open(tmp_path / "a.pkl", "wb") as f:
        pickle.dump({"audio": pcm, "sr": 8000, "label": "x"}, f)
    data = load_pickle_folder(tmp_path)
    np.testing.assert_allclose(data.data[0][:5], [-1.0, -0.5, 0.0, 0.5, 32767 / 32768])


def test_mel_band_edges_are_checked():
    X = WaveformArray(np.zeros((2, 4000), np.float32), sr=8000)
    with pytest.raises(ValueError, match="above the Nyquist frequency"):
        MelSpectrogram(fmax=20000).fit_transform(X)
    with pytest.raises(ValueError, match="fmin=3000 Hz must be below fmax=2000"):
        MelSpectrogram(fmin=3000, fmax=2000).fit_transform(X)
    with pytest.warns(UserWarning, match=r"29 of 128 Mel bands are all-zero.*n_fft=128"):
        MelSpectrogram(n_mels=128, n_fft=128).fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MelSpectrogram(n_mels=40, n_fft=512).fit_transform(X)


def test_log_frequency_axis_stays_below_nyquist():
    X = WaveformArray(np.random.default_rng(0).normal(size=(2, 4000)), sr=8000)
    log = {"frequency_scale": "log", "n_fft": 256, "n_bins": 64}
    with pytest.raises(ValueError, match=r"fmax=6000 Hz is above the Nyquist frequency of 8000 Hz"):
        Spectrogram(fmax=6000, **log).fit_transform(X)
    with pytest.raises(ValueError, match=r"fmin=5000 Hz must be below fmax=4000 Hz"):
        Spectrogram(fmin=5000, **log).fit(X)
    fitted = Spectrogram(fmax=4000, **log).fit(X)  # up to Nyquist: every bin its own frequency
    with pytest.raises(ValueError, match="above the Nyquist frequency of 6000 Hz"):
        Spectrogram(fmax=4000, **log).transform(WaveformArray(np.asarray(X), sr=6000))
    S = fitted.transform(X)
    top = S[0, -16:]
    assert not np.any(np.all(np.isclose(top[1:], top[:-1]), axis=1))  # no repeated top rows


def test_empty_outputs_are_refused():
    with pytest.raises(ValueError, match="less than one sample"):
        PadTrim(duration=1e-6, sr=8000).fit(np.zeros((2, 10)))
    empty = np.zeros((3, 8, 0), np.float32)
    for step in (Flatten(), TemporalStats()):
        with pytest.raises(ValueError, match=r"empty axis \(no bins or no frames\)"):
            step.fit_transform(empty)
    with pytest.raises(ValueError, match="names a statistic twice"):
        TemporalStats(stats=["mean", "mean"]).fit(np.zeros((2, 3, 4)))


def test_nan_rows_on_disk_are_refused(tmp_path):
    X = np.random.default_rng(0).normal(size=(20, 4)).astype(np.float32)
    X[7, 2] = np.nan
    np.save(tmp_path / "x.npy", X)
    with pytest.raises(ValueError, match=r"Rows \[7\] .* hold NaN"):
        NeuralClassifier(max_epochs=1).fit(DiskArray(tmp_path / "x.npy"), np.arange(20) % 2)


def test_a_pipeline_from_paths_gives_a_named_table_with_pandas_output():
    from sklearn.pipeline import make_pipeline

    from audiosk.datasets import load_spoken_digits
    from audiosk.features import MFCC, TemporalStats
    from audiosk.io import AudioLoader
    from audiosk.preprocessing import PadTrim

    files = load_spoken_digits().filenames[:4]
    steps = [AudioLoader(sr=8000), PadTrim(), MFCC(n_mfcc=5, n_fft=256, hop_length=80)]
    plain = make_pipeline(*steps, TemporalStats(prefix="mfcc")).fit_transform(files)
    pipe = make_pipeline(*steps, TemporalStats(prefix="mfcc")).set_output(transform="pandas")
    table = pipe.fit_transform(files)  # loader, pad and MFCC keep their arrays
    assert list(table.columns[:2]) == ["mfcc0_mean", "mfcc0_std"]
    np.testing.assert_array_equal(table.to_numpy(), plain)


@pytest.mark.parametrize("container", [Waveforms, WaveformArray, Spectra])
@pytest.mark.parametrize("bad", [0, -8000, True, "8000", 8000.5, float("nan")])
def test_containers_refuse_a_rate_that_is_not_a_positive_whole_number(container, bad):
    clips = np.zeros((1, 4), dtype=np.float32)
    with pytest.raises(ValueError, match=rf"^{container.__name__}: sr="):
        container(clips, sr=bad)
    assert container(clips, sr=np.int64(8000)).sr == 8000  # numpy integers are rates too
