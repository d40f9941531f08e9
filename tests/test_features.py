"""Spectral transformers: values equal librosa's, shapes, sample-rate safety, pipelines."""

import warnings

import librosa
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

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

from ._helpers import chirp, tone

SR = 22050


def assert_close_to_max(actual, desired, rtol=1e-5):
    """|actual - desired| <= rtol * max|desired| (the issue's criterion)."""
    assert actual.shape == desired.shape
    assert actual.dtype == np.float32
    err = np.abs(actual.astype(np.float64) - desired).max() / np.abs(desired).max()
    assert err <= rtol, err


@pytest.fixture
def batch(rng):
    n = SR  # 1 s
    return np.stack(
        [
            chirp(seconds=1.0, sr=SR, f0=60, f1=8000),
            tone(440, 1.0, SR) + 0.01 * rng.normal(size=n).astype(np.float32),
            (rng.normal(size=n) * np.exp(-np.arange(n) / 4000)).astype(np.float32),
        ]
    )


STFT_CASES = [
    dict(),
    dict(n_fft=1024, hop_length=256),
    dict(n_fft=512, hop_length=100, win_length=400, window="hamming"),
    dict(center=False),
    dict(pad_mode="reflect"),
    dict(power=1.0),
]


@pytest.mark.parametrize("kwargs", STFT_CASES)
def test_spectrogram_equals_librosa_stft(batch, kwargs):
    power = kwargs.pop("power", 2.0)
    ours = Spectrogram(sr=SR, power=power, **kwargs).fit_transform(batch)
    ref = np.stack([np.abs(librosa.stft(x, **kwargs)) ** power for x in batch])
    assert_close_to_max(ours, ref)


@pytest.mark.parametrize("power", [1.0, 2.0])
def test_spectrogram_db_equals_librosa(batch, power):
    ours = Spectrogram(sr=22050, power=power, db=True, top_db=70).fit_transform(batch)
    to_db = librosa.amplitude_to_db if power == 1.0 else librosa.power_to_db
    ref = np.stack([to_db(np.abs(librosa.stft(x)) ** power, top_db=70) for x in batch])
    assert_close_to_max(ours, ref)


def test_log_frequency_axis_puts_a_tone_in_the_right_bin():
    x = tone(1000, 1.0, SR)[None]
    spec = Spectrogram(
        sr=22050, frequency_scale="log", n_bins=100, fmin=50, fmax=10000
    ).fit_transform(x)
    assert spec.shape[1] == 100
    freqs = np.geomspace(50, 10000, 100)
    peak = freqs[spec[0].mean(axis=1).argmax()]
    assert abs(np.log2(peak / 1000)) < 0.1


MEL_CASES = [
    dict(),
    dict(n_fft=1024, hop_length=512, n_mels=64),
    dict(n_mels=40, fmin=100, fmax=6000, htk=True, norm=None),
    dict(power=1.0, n_mels=32),
]


@pytest.mark.parametrize("kwargs", MEL_CASES)
def test_mel_equals_librosa(batch, kwargs):
    ours = MelSpectrogram(sr=SR, **kwargs).fit_transform(batch)
    ref = np.stack([librosa.feature.melspectrogram(y=x, sr=SR, **kwargs) for x in batch])
    assert_close_to_max(ours, ref)


@pytest.mark.parametrize("ref_value,top_db", [(1.0, 80.0), ("max", 60.0), (1.0, None)])
def test_mel_db_is_per_clip_power_to_db(batch, ref_value, top_db):
    ours = MelSpectrogram(sr=SR, db=True, ref=ref_value, top_db=top_db).fit_transform(batch)
    ref = np.stack(
        [
            librosa.power_to_db(
                librosa.feature.melspectrogram(y=x, sr=SR),
                ref=np.max if ref_value == "max" else ref_value,
                top_db=top_db,
            )
            for x in batch
        ]
    )
    assert_close_to_max(ours, ref)


@pytest.mark.parametrize(
    "kwargs",
    [dict(), dict(n_mfcc=13, lifter=22), dict(n_mfcc=30, n_mels=64, n_fft=1024), dict(dct_type=3)],
)
def test_mfcc_equals_librosa(batch, kwargs):
    ours = MFCC(sr=SR, **kwargs).fit_transform(batch)
    ref = np.stack([librosa.feature.mfcc(y=x, sr=SR, **kwargs) for x in batch])
    assert_close_to_max(ours, ref)


def test_short_clips_and_n_jobs_give_identical_values(batch):
    mel = MelSpectrogram(sr=SR, n_fft=512, hop_length=128)
    one = mel.fit_transform(batch)
    np.testing.assert_array_equal(mel.set_params(n_jobs=2).transform(batch), one)
    short = np.ones((4, 3), dtype=np.float32)  # shorter than n_fft: one frame each
    assert mel.transform(short).shape == (4, 128, 1)


@pytest.mark.parametrize("dtype", ["float64", np.float32])
def test_values_do_not_depend_on_batching_or_n_jobs(batch, dtype):
    # every clip is cut into the same blocks of frames whatever the batch and n_jobs, so a clip's
    # values are computed by the same operations on the same numbers
    long = np.concatenate([batch, batch[::-1]], axis=1)  # 2 s: several blocks per clip
    for step in (
        MelSpectrogram(sr=SR, dtype=dtype),
        MFCC(sr=SR, n_fft=1024, hop_length=256, dtype=dtype),
        Spectrogram(sr=SR, n_fft=512, hop_length=128, db=True, dtype=dtype),
    ):
        together = step.fit_transform(long)
        np.testing.assert_array_equal(step.set_params(n_jobs=2).transform(long), together)
        for i, clip in enumerate(long):
            np.testing.assert_array_equal(step.transform(clip[None]), together[i : i + 1])


@pytest.mark.parametrize("pad_mode", ["constant", "reflect", "edge"])
@pytest.mark.parametrize("n_samples", [1, 100, 300, 700, 5000])
def test_edge_frames_read_the_padding_in_place(rng, pad_mode, n_samples):
    # the frames that overlap the padding are built from the clip alone, clips shorter than the
    # padding included (np.pad reflects them again and again)
    X = rng.normal(size=(2, n_samples)).astype(np.float32)
    ours = Spectrogram(sr=8000, n_fft=512, hop_length=128, pad_mode=pad_mode).fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # librosa: n_fft too large for the input
        ref = np.stack(
            [np.abs(librosa.stft(x, n_fft=512, hop_length=128, pad_mode=pad_mode)) ** 2 for x in X]
        )
    assert_close_to_max(ours, ref)


def test_float32_is_within_005_db_of_librosa(batch):
    kwargs = dict(n_fft=1024, hop_length=256, n_mels=64)
    ours = MelSpectrogram(sr=SR, db=True, top_db=80.0, dtype="float32", **kwargs)
    ref = np.stack(
        [
            librosa.power_to_db(librosa.feature.melspectrogram(y=x, sr=SR, **kwargs), top_db=80.0)
            for x in batch
        ]
    )
    db = ours.fit_transform(batch)
    assert db.dtype == np.float32
    assert np.abs(db - ref).max() <= 0.05
    spec = Spectrogram(sr=SR, db=True, dtype="float32").fit_transform(batch)
    spec_ref = np.stack([librosa.power_to_db(np.abs(librosa.stft(x)) ** 2) for x in batch])
    assert np.abs(spec - spec_ref).max() <= 0.05
    mfcc = MFCC(sr=SR, dtype="float32").fit_transform(batch)
    assert_close_to_max(mfcc, np.stack([librosa.feature.mfcc(y=x, sr=SR) for x in batch]), 1e-4)


def test_dtype_is_a_checked_parameter(batch):
    with pytest.raises(ValueError, match="dtype"):
        MelSpectrogram(sr=SR, dtype="float16").fit(batch)
    with pytest.raises(ValueError, match="dtype"):
        MelSpectrogram(sr=SR, dtype=np.float16).fit(batch)


@pytest.mark.parametrize("kwargs", [dict(), dict(order=2, width=5), dict(mode="nearest", width=3)])
def test_deltas_equal_librosa(batch, kwargs):
    M = MFCC(sr=SR).fit_transform(batch)
    ours = Deltas(**kwargs).fit_transform(M)
    ref = librosa.feature.delta(M, axis=-1, **kwargs)
    np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-4)


def test_deltas_stack_and_short_input():
    S = np.random.default_rng(0).normal(size=(2, 3, 20)).astype(np.float32)
    stacked = Deltas(order=2, stack=True).fit_transform(S)
    assert stacked.shape == (2, 9, 20)
    np.testing.assert_array_equal(stacked[:, :3], S)
    np.testing.assert_allclose(
        stacked[:, 6:], librosa.feature.delta(S, order=2), rtol=1e-5, atol=1e-6
    )
    with pytest.raises(ValueError, match="at least width=9 frames"):
        Deltas().fit_transform(S[:, :, :5])


def test_temporal_stats_values_and_names(rng):
    S = rng.normal(size=(4, 3, 50)).astype(np.float32)
    stats = ["mean", "std", "var", "min", "max", "median", "skew", "kurtosis"]
    ts = TemporalStats(stats=stats, prefix="mfcc", start=1).fit(S)
    out = ts.transform(S)
    from scipy.stats import kurtosis, skew

    expected = np.stack(
        [
            S.mean(-1),
            S.std(-1),
            S.var(-1),
            S.min(-1),
            S.max(-1),
            np.median(S, -1),
            skew(S, axis=-1),
            kurtosis(S, axis=-1),
        ],
        axis=-1,
    ).reshape(4, -1)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    names = ts.get_feature_names_out()
    assert names[0] == "mfcc1_mean" and names[-1] == "mfcc3_kurtosis" and len(names) == 24
    with pytest.raises(ValueError, match="unknown stats"):
        TemporalStats(stats=["mode"]).fit(S)
    df = TemporalStats(prefix="mfcc").set_output(transform="pandas").fit_transform(S)
    assert list(df.columns[:2]) == ["mfcc0_mean", "mfcc0_std"] and df.shape == (4, 6)


def test_flatten_shapes_names_and_pandas():
    S = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    flat = Flatten().fit(S)
    np.testing.assert_array_equal(flat.transform(S), S.reshape(2, -1))
    assert flat.get_feature_names_out()[5] == "bin1_frame1"
    with pytest.raises(ValueError, match="PadTrim"):
        flat.transform(S[:, :, :3])
    images = np.zeros((2, 3, 4, 5), dtype=np.float32)
    assert Flatten().fit(images).get_feature_names_out()[-1] == "ch2_y3_x4"
    df = Flatten().set_output(transform="pandas").fit_transform(S)
    assert df.columns[0] == "bin0_frame0" and df.shape == (2, 12)


def test_spectrogram_scaler_per_bin_and_per_clip(rng):
    S = (rng.normal(size=(6, 4, 10)) * np.arange(1, 5)[:, None] + 3).astype(np.float32)
    scaler = SpectrogramScaler().fit(S)
    np.testing.assert_allclose(scaler.mean_, S.transpose(1, 0, 2).reshape(4, -1).mean(1), rtol=1e-6)
    out = scaler.transform(S)
    np.testing.assert_allclose(out.mean(axis=(0, 2)), 0, atol=1e-6)
    np.testing.assert_allclose(out.std(axis=(0, 2)), 1, rtol=1e-5)
    per_clip = SpectrogramScaler(per_clip=True).fit_transform(S)
    np.testing.assert_allclose(per_clip.mean(axis=(1, 2)), 0, atol=1e-6)
    np.testing.assert_allclose(per_clip.std(axis=(1, 2)), 1, rtol=1e-5)
    table = rng.normal(size=(20, 5)) * 3 + 1
    np.testing.assert_allclose(
        SpectrogramScaler().fit_transform(table),
        StandardScaler().fit_transform(table),
        rtol=1e-5,
        atol=1e-6,
    )


def test_spectrogram_image_equals_torch_bilinear(rng):
    torch = pytest.importorskip("torch")
    S = rng.normal(size=(3, 64, 40)).astype(np.float32)
    for h, w in [(224, 224), (32, 20), (64, 40)]:
        ours = SpectrogramImage(height=h, width=w).fit_transform(S)
        ref = torch.nn.functional.interpolate(
            torch.from_numpy(S)[:, None], size=(h, w), mode="bilinear", align_corners=False
        ).numpy()
        np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-4)
    three = SpectrogramImage(height=16, width=16, channels=3).fit_transform(S)
    assert three.shape == (3, 3, 16, 16)
    np.testing.assert_array_equal(three[:, 0], three[:, 2])
    upper = SpectrogramImage(height=64, width=40, origin="upper").fit_transform(S)
    np.testing.assert_allclose(upper[:, 0], S[:, ::-1], atol=1e-6)


def test_spectrogram_image_colormap(rng):
    pytest.importorskip("matplotlib")
    from matplotlib import colormaps

    S = rng.normal(size=(2, 8, 8)).astype(np.float32)
    img = SpectrogramImage(height=8, width=8, channels=3, cmap="viridis").fit_transform(S)
    assert img.shape == (2, 3, 8, 8) and img.min() >= 0 and img.max() <= 1
    lo, hi = S[0].min(), S[0].max()
    np.testing.assert_allclose(
        img[0, :, 0, 0], colormaps["viridis"]((S[0, 0, 0] - lo) / (hi - lo))[:3], atol=1e-6
    )
    with pytest.raises(ValueError, match="channels=3"):
        SpectrogramImage(cmap="viridis").fit_transform(S)


def test_sample_rate_mismatch_is_detected():
    waves = WaveformArray(np.zeros((2, 8000), dtype=np.float32), sr=8000)
    with pytest.raises(ValueError, match="loaded at 8000 Hz"):
        MelSpectrogram(sr=22050).fit_transform(waves)
    with pytest.raises(ValueError, match="loaded at 8000 Hz"):
        make_pipeline(PadTrim(length=4000), MFCC(sr=16000)).fit_transform(
            Waveforms(list(waves), sr=8000)
        )
    adopted = MelSpectrogram(n_mels=20).fit_transform(waves[:1] + tone(1000, 1.0, 8000))
    explicit = MelSpectrogram(sr=8000, n_mels=20).fit_transform(tone(1000, 1.0, 8000)[None])
    np.testing.assert_array_equal(adopted, explicit)


def test_ragged_input_points_to_padtrim():
    ragged = MelSpectrogram(sr=8000).fit_transform([np.zeros(1000), np.zeros(2000)])
    with pytest.raises(ValueError, match="TemporalStats.*PadTrim"):
        Flatten().fit_transform(ragged)
    with pytest.raises(TypeError, match="AudioLoader"):
        MelSpectrogram(sr=8000).fit_transform(["a.wav", "b.wav"])


def test_pipeline_memory_does_not_recompute_spectrogram(tmp_path, monkeypatch, rng):
    from audiosk.features import _spectral

    calls = []
    original = _spectral.stft_power

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(_spectral, "stft_power", counting)
    X = rng.normal(size=(20, 4000)).astype(np.float32)
    y = np.arange(20) % 2
    pipe = Pipeline(
        [
            ("mel", MelSpectrogram(sr=8000, n_mels=16, n_fft=256)),
            ("flat", Flatten()),
            ("clf", LogisticRegression(C=1.0)),
        ],
        memory=str(tmp_path),
    )
    pipe.fit(X, y)
    assert len(calls) == 1
    pipe.set_params(clf__C=10.0).fit(X, y)
    assert len(calls) == 1  # cached: only the classifier was refitted
    pipe.set_params(mel__n_mels=8).fit(X, y)
    assert len(calls) == 2


def test_pipeline_set_output_pandas_passes_through_3d_steps(rng):
    X = rng.normal(size=(5, 4000)).astype(np.float32)
    pipe = make_pipeline(MFCC(sr=8000, n_mfcc=4), TemporalStats(prefix="mfcc")).set_output(
        transform="pandas"
    )
    df = pipe.fit_transform(X)
    assert list(df.columns) == [f"mfcc{i}_{s}" for i in range(4) for s in ("mean", "std")]
