"""The descriptor panel: librosa's frame-wise features, their statistics, any clip length."""

import numpy as np
import pytest
import scipy.stats

from audiosk.containers import WaveformArray, Waveforms
from audiosk.features import AudioDescriptors
from audiosk.features._descriptors import STATS, frame_statistics

from ._helpers import chirp

PITCHES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]


def speech_like(sr, seconds=1.3, seed=0):
    """A glide in noise, its first tenth silent: every descriptor varies, some frames are silent."""
    rng = np.random.default_rng(seed)
    y = 0.4 * chirp(seconds, sr, f0=150.0, f1=0.3 * sr) + 0.05 * rng.normal(size=int(seconds * sr))
    y[: len(y) // 10] = 0
    return y.astype(np.float32)


def librosa_frames(y, sr, n_fft, hop, *, deltas, n_bands, delta_mode="interp"):
    """librosa's frame-wise features in the panel's order, ``(n_descriptors, n_frames)``."""
    import librosa

    kw = {"n_fft": n_fft, "hop_length": hop}
    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20, **kw)
    rows = [mfcc]
    rows += [librosa.feature.delta(mfcc, order=k, mode=delta_mode) for k in range(1, deltas + 1)]
    rows += [
        librosa.feature.spectral_centroid(y=y, sr=sr, **kw),
        librosa.feature.spectral_bandwidth(y=y, sr=sr, **kw),
        librosa.feature.spectral_contrast(y=y, sr=sr, n_bands=n_bands, **kw),
        librosa.feature.spectral_flatness(y=y, **kw),
        librosa.feature.spectral_rolloff(y=y, sr=sr, **kw),
        librosa.feature.zero_crossing_rate(y, frame_length=n_fft, hop_length=hop),
        librosa.feature.rms(y=y, frame_length=n_fft, hop_length=hop),
        librosa.feature.chroma_stft(y=y, sr=sr, tuning=0.0, **kw),
    ]
    return np.concatenate(rows).astype(np.float64)


@pytest.mark.parametrize(
    ("sr", "n_fft", "hop", "n_bands"),
    [(8000, 256, 64, 5), (16000, 512, 128, 6), (44100, 1024, 256, 6)],
)
def test_every_column_is_a_statistic_of_librosas_feature(sr, n_fft, hop, n_bands):
    y = speech_like(sr)
    panel = AudioDescriptors(sr=sr, deltas=2, stats=STATS).fit([y])
    assert (panel.n_fft_, panel.hop_length_) == (n_fft, hop)  # 32 ms, a quarter hop
    table = panel.transform([y])[0]
    names = panel.get_feature_names_out()
    expected = frame_statistics(librosa_frames(y, sr, n_fft, hop, deltas=2, n_bands=n_bands), STATS)
    assert len(names) == len(set(names)) == len(table) == len(expected)
    assert sum(n.startswith("spectral_contrast") for n in names) == (n_bands + 1) * len(STATS)
    # float32 librosa against a float64 STFT, and a float32 table: the error is the float32 one,
    # relative to each descriptor's own scale (centroids in Hz, flatness near 0)
    scale = np.abs(expected).reshape(-1, len(STATS)).max(axis=1).repeat(len(STATS))
    err = np.abs(table - expected) / np.maximum(scale, 1e-3)
    assert err.max() < 1e-4, names[err.argmax()]
    # centroid, roll-off and chroma mean something: the glide's mean frequency, its pitch classes
    mean_centroid = table[list(names).index("spectral_centroid_median")]
    assert 150 < mean_centroid < 0.3 * sr


def test_short_clips_take_nearest_deltas_and_still_equal_librosa():
    sr, n_fft, hop = 16000, 512, 128
    y = speech_like(sr, seconds=0.05)  # 7 frames: fewer than the delta window of 9
    table = AudioDescriptors(sr=sr, deltas=1, stats=("mean", "max")).fit_transform([y])[0]
    frames = librosa_frames(y, sr, n_fft, hop, deltas=1, n_bands=6, delta_mode="nearest")
    assert frames.shape[1] == 7
    expected = frame_statistics(frames, ("mean", "max"))
    np.testing.assert_allclose(table, expected, rtol=1e-4, atol=1e-3)


def test_frame_statistics_equal_numpy_and_scipy(rng):
    D = rng.normal(size=(3, 50)) ** 3
    values = frame_statistics(D, STATS).reshape(3, -1)
    q10, q25, q50, q75, q90 = np.percentile(D, [10, 25, 50, 75, 90], axis=1)
    expected = [
        D.mean(1),
        D.std(1),
        D.min(1),
        D.max(1),
        q50,
        q75 - q25,
        q10,
        q90,
        scipy.stats.skew(D, axis=1),
        scipy.stats.kurtosis(D, axis=1),
    ]
    np.testing.assert_allclose(values, np.stack(expected, axis=1), rtol=1e-10)
    # a constant row has no shape: skew and excess kurtosis are 0, not NaN
    flat = frame_statistics(np.ones((1, 5)), ["std", "skew", "kurtosis", "iqr"])
    np.testing.assert_array_equal(flat, [0.0, 0.0, 0.0, 0.0])


def test_clips_of_any_length_each_described_alone():
    sr = 8000
    clips = [speech_like(sr, s, seed=i) for i, s in enumerate((0.3, 1.0, 2.2))]
    clips.append(np.float32([0.5]))  # one sample: one frame
    panel = AudioDescriptors(n_jobs=2)
    table = panel.fit_transform(Waveforms(clips, sr=sr))
    assert table.shape == (4, len(panel.get_feature_names_out())) and table.dtype == np.float32
    assert np.isfinite(table).all()
    for i, clip in enumerate(clips):  # a row never depends on the clips it is batched with
        np.testing.assert_array_equal(AudioDescriptors(sr=sr).transform([clip])[0], table[i])
    # equal-length clips arrive as a 2-D array: the same rows
    fixed = np.stack([c[:2000] for c in clips[:3]])
    np.testing.assert_array_equal(
        panel.transform(WaveformArray(fixed, sr=sr)),
        panel.transform(Waveforms(list(fixed), sr=sr)),
    )


def test_float32_stays_close_to_float64():
    sr = 22050
    y = speech_like(sr)
    names = AudioDescriptors(sr=sr).fit([y]).get_feature_names_out()
    t64 = AudioDescriptors(sr=sr).fit_transform([y])[0]
    t32 = AudioDescriptors(sr=sr, dtype="float32").fit_transform([y])[0]
    rel = np.abs(t32 - t64) / np.maximum(np.abs(t64), 1.0)
    assert rel.max() < 1e-4, names[rel.argmax()]
    assert not np.array_equal(t32, t64)  # the two paths are distinct


def test_names_follow_the_settings():
    panel = AudioDescriptors(sr=16000, n_mfcc=13, deltas=0, stats=["median"]).fit([np.zeros(100)])
    names = list(panel.get_feature_names_out())
    assert names[:2] == ["mfcc1_median", "mfcc2_median"] and "mfcc13_median" in names
    assert not any("delta" in n for n in names)
    assert names[-12:] == [f"chroma_{p}_median" for p in PITCHES]
    assert len(names) == 13 + 2 + 7 + 4 + 12
    deltas2 = AudioDescriptors(sr=16000, deltas=2, stats=["mean"]).fit([np.zeros(100)])
    assert "mfcc20_delta2_mean" in deltas2.get_feature_names_out()
    with pytest.raises(Exception, match="not fitted"):
        AudioDescriptors(sr=16000).get_feature_names_out()


@pytest.mark.parametrize(
    ("X", "message"),
    [
        (np.stack([np.zeros(800), np.r_[np.zeros(799), np.nan]]), r"clip 1 of X contains NaN"),
        ([np.zeros(800), np.zeros(300), np.r_[np.inf, np.zeros(9)]], r"clip 2 of X contains NaN"),
        ([np.zeros(800), np.zeros(0)], r"clip \[1\] of X has 0 samples"),
    ],
)
def test_bad_clips_are_refused_by_index(X, message):
    with pytest.raises(ValueError, match=message):
        AudioDescriptors(sr=8000).fit_transform(X)


def test_settings_are_checked():
    X = [np.zeros(800)]
    with pytest.raises(ValueError, match=r"distinct statistics.*\['mode'\]"):
        AudioDescriptors(sr=8000, stats=["mean", "mode"]).fit(X)
    with pytest.raises(ValueError, match="repeated or empty"):
        AudioDescriptors(sr=8000, stats=["mean", "mean"]).fit(X)
    with pytest.raises(ValueError, match="n_mfcc=30 coefficients need"):
        AudioDescriptors(sr=8000, n_mfcc=30, n_mels=20).fit(X)
    with pytest.raises(ValueError, match="needs audio at 4000 Hz or more"):
        AudioDescriptors().fit(Waveforms(X, sr=2000))
    with pytest.raises(ValueError, match="needs the sample rate"):
        AudioDescriptors().fit(X)


def test_settings_given_by_hand_are_used():
    sr, y = 16000, speech_like(16000)
    panel = AudioDescriptors(sr=sr, n_fft=1024, hop_length=512, deltas=0, stats=["mean"]).fit([y])
    assert (panel.n_fft_, panel.hop_length_) == (1024, 512)
    expected = librosa_frames(y, sr, 1024, 512, deltas=0, n_bands=6).mean(axis=1)
    np.testing.assert_allclose(panel.transform([y])[0], expected, rtol=1e-4, atol=1e-4)
