"""Clips of any length through the feature steps: per-clip spectra, statistics, images, folds."""

import importlib.util
import pickle

import librosa
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils import _safe_indexing

from audiosk.containers import Spectra, Waveforms
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

from ._helpers import chirp, tone

SR = 8000
LENGTHS = (8000, 3001, 12345, 700, 4096)  # 700 samples: shorter than n_fft, still centred frames


def sine(freq, n_samples):
    """A sine of ``freq`` Hz, ``n_samples`` long at SR."""
    return (0.5 * np.sin(2 * np.pi * freq * np.arange(n_samples) / SR)).astype(np.float32)


@pytest.fixture
def ragged():
    rng = np.random.default_rng(0)
    return Waveforms(
        [(0.3 * rng.normal(size=n) + sine(300 + 100 * i, n)) for i, n in enumerate(LENGTHS)],
        sr=SR,
    )


def test_mel_of_ragged_clips_equals_librosa_per_clip(ragged):
    S = MelSpectrogram(n_fft=1024, hop_length=256, n_mels=40).fit_transform(ragged)
    assert isinstance(S, Spectra) and S.sr == SR and len(S) == len(LENGTHS)
    for x, s in zip(ragged, S, strict=True):
        expected = librosa.feature.melspectrogram(y=x, sr=SR, n_fft=1024, hop_length=256, n_mels=40)
        assert s.shape == expected.shape == (40, 1 + len(x) // 256) and s.dtype == np.float32
        np.testing.assert_allclose(s, expected, rtol=1e-5, atol=1e-6 * expected.max())
    np.testing.assert_array_equal(S.lengths, [1 + n // 256 for n in LENGTHS])


def test_spectrogram_and_mfcc_of_ragged_clips_equal_librosa(ragged):
    S = Spectrogram(n_fft=512, hop_length=128, power=1.0, db=True).fit_transform(ragged)
    M = MFCC(n_fft=512, hop_length=128, n_mels=40, n_mfcc=13).fit_transform(ragged)
    for x, s, m in zip(ragged, S, M, strict=True):
        mag = np.abs(librosa.stft(x, n_fft=512, hop_length=128))
        np.testing.assert_allclose(s, librosa.amplitude_to_db(mag), atol=1e-3)
        mfcc = librosa.feature.mfcc(y=x, sr=SR, n_fft=512, hop_length=128, n_mels=40, n_mfcc=13)
        assert m.shape == mfcc.shape
        np.testing.assert_allclose(m, mfcc, atol=1e-3 * np.abs(mfcc).max())


def test_a_clip_does_not_depend_on_its_batch(ragged):
    mel = MelSpectrogram(sr=SR, n_fft=512, hop_length=128, n_mels=32, db=True)
    together = mel.fit_transform(ragged)
    reordered = mel.transform(Waveforms([ragged[i] for i in (4, 2, 0, 3, 1)], sr=SR))
    threads = MelSpectrogram(sr=SR, n_fft=512, hop_length=128, n_mels=32, db=True, n_jobs=3)
    in_threads = threads.fit_transform(ragged)
    for i, x in enumerate(ragged):
        alone = mel.transform(x[None])[0]
        np.testing.assert_allclose(together[i], alone, rtol=1e-6, atol=1e-5)
        np.testing.assert_allclose(in_threads[i], alone, rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(reordered[0], together[4], rtol=1e-6, atol=1e-5)
    # a clip far longer than one block of frames, between two short ones
    long = Waveforms([tone(500, 0.1, SR), chirp(40.0, SR), tone(700, 0.2, SR)], sr=SR)
    S = mel.transform(long)
    np.testing.assert_allclose(S[1], mel.transform(long[1][None])[0], rtol=1e-6, atol=1e-5)


def test_equal_lengths_still_give_a_3d_array():
    X = Waveforms([tone(440, 0.5, SR), tone(880, 0.5, SR)], sr=SR)
    S = MelSpectrogram(n_fft=256, hop_length=128, n_mels=16).fit_transform(X)
    assert isinstance(S, np.ndarray) and S.shape == (2, 16, 32)


def test_center_false_names_the_short_clip():
    X = Waveforms([np.zeros(2048), np.zeros(300), np.zeros(4000)], sr=SR)
    with pytest.raises(ValueError, match="clip 1 has 300"):
        MelSpectrogram(n_fft=1024, center=False).fit_transform(X)


def test_temporal_stats_describe_each_clip_whole(ragged):
    S = MFCC(n_fft=512, hop_length=128, n_mfcc=13).fit_transform(ragged)
    stats = ["mean", "std", "min", "max", "median", "skew", "kurtosis"]
    T = TemporalStats(stats=stats).fit_transform(S)
    assert T.shape == (len(LENGTHS), 13 * len(stats))
    for i, s in enumerate(S):
        alone = TemporalStats(stats=stats).fit_transform(s[None])[0]
        np.testing.assert_array_equal(T[i], alone)
    # against NumPy on clip 3 alone: mean and std of each coefficient over its own 6 frames
    np.testing.assert_allclose(T[3].reshape(13, -1)[:, 0], S[3].mean(axis=1), rtol=1e-5)
    np.testing.assert_allclose(T[3].reshape(13, -1)[:, 1], S[3].std(axis=1), rtol=1e-4)


def test_deltas_on_ragged_spectra_equal_librosa_per_clip(ragged):
    S = MFCC(n_fft=512, hop_length=128, n_mfcc=13).fit_transform(ragged)
    D = Deltas(width=5, order=2, stack=True).fit_transform(S)
    assert isinstance(D, Spectra) and D.sr == SR
    for s, d in zip(S, D, strict=True):
        expected = librosa.feature.delta(s, width=5, order=2)
        assert d.shape == (39, s.shape[1])
        np.testing.assert_allclose(d[26:], expected, rtol=1e-5, atol=1e-4)
        np.testing.assert_array_equal(d[:13], s)
    short = Spectra([np.ones((3, 10), np.float32), np.ones((3, 4), np.float32)])
    with pytest.raises(ValueError, match="width=9 frames in every clip; clip 1 has 4"):
        Deltas().fit_transform(short)


def test_scaler_uses_every_valid_frame_and_nothing_else():
    rng = np.random.default_rng(1)
    S = Spectra([rng.normal(3.0, 2.0, size=(4, n)).astype(np.float32) for n in (5, 50, 11)])
    scaler = SpectrogramScaler().fit(S)
    frames = np.concatenate(S, axis=1).astype(np.float64)  # (4, 66)
    np.testing.assert_allclose(scaler.mean_, frames.mean(axis=1))
    np.testing.assert_allclose(scaler.scale_, frames.std(axis=1))
    Z = scaler.transform(S)
    assert isinstance(Z, Spectra) and list(Z.lengths) == [5, 50, 11]
    np.testing.assert_allclose(np.concatenate(Z, axis=1).mean(axis=1), 0, atol=1e-6)
    # zero padding would have pulled the mean towards 0: the padded mean differs
    padded, _ = S.padded()
    assert not np.allclose(padded.mean(axis=(0, 2)), scaler.mean_, atol=0.1)
    per_clip = SpectrogramScaler(per_clip=True).fit_transform(S)
    for z in per_clip:
        assert abs(z.mean()) < 1e-5 and abs(z.std() - 1) < 1e-5


def test_images_resize_each_clip_to_one_size(ragged):
    S = MelSpectrogram(n_fft=512, hop_length=128, n_mels=32, db=True).fit_transform(ragged)
    images = SpectrogramImage(height=16, width=24, channels=3).fit_transform(S)
    assert images.shape == (len(LENGTHS), 3, 16, 24) and images.dtype == np.float32
    for i, s in enumerate(S):
        alone = SpectrogramImage(height=16, width=24, channels=3).fit_transform(s[None])
        np.testing.assert_allclose(images[i], alone[0], rtol=1e-6, atol=1e-4)


def test_flatten_refuses_ragged_spectra_and_names_the_way_out(ragged):
    S = MelSpectrogram(n_fft=512, hop_length=128).fit_transform(ragged)
    with pytest.raises(ValueError, match=r"Flatten needs spectra of one shape.*6 to 97 frames"):
        Flatten().fit(S)
    with pytest.raises(ValueError, match="TemporalStats.*PadTrim"):
        Flatten().fit_transform(S)


def test_ragged_spectra_are_checked_clip_by_clip():
    bad = Spectra([np.ones((4, 5), np.float32), np.ones((3, 6), np.float32)])
    with pytest.raises(ValueError, match="one number of bins in every clip; got 3 to 4"):
        TemporalStats().fit(bad)
    nan = Spectra([np.ones((4, 5), np.float32), np.full((4, 6), np.nan, np.float32)])
    with pytest.raises(ValueError, match="clip 1 of X contains NaN"):
        TemporalStats().fit(nan)
    ts = TemporalStats().fit(Spectra([np.ones((4, 5)), np.ones((4, 6))]))
    assert ts.n_features_in_ == 4
    with pytest.raises(ValueError, match="X has 3 features, but TemporalStats is expecting 4"):
        ts.transform(Spectra([np.ones((3, 5)), np.ones((3, 6))]))


def test_spectra_index_pickle_and_pad():
    S = Spectra([np.full((2, n), n, np.float32) for n in (3, 5, 4)], sr=SR)
    picked = _safe_indexing(S, np.array([2, 0]))
    assert isinstance(picked, Spectra) and picked.sr == SR
    assert picked.lengths.tolist() == [4, 3]
    masked = _safe_indexing(S, np.array([False, True, True]))
    assert masked.lengths.tolist() == [5, 4]
    assert S[1:].lengths.tolist() == [5, 4] and S[1:].sr == SR
    assert S[np.int64(1)].shape == (2, 5)
    back = pickle.loads(pickle.dumps(S))
    assert isinstance(back, Spectra) and back.sr == SR
    assert all(np.array_equal(a, b) for a, b in zip(S, back, strict=True))
    X, lengths = S.padded()
    assert X.shape == (3, 2, 5) and lengths.tolist() == [3, 5, 4]
    assert X[0, 0].tolist() == [3, 3, 3, 0, 0]
    with pytest.raises(ValueError, match="a clip has 5 frames"):
        S.padded(n_frames=4)
    with pytest.raises(IndexError, match="Spectra index"):
        S[np.array([0.5])]


def test_ragged_speech_like_pipeline_cross_validates_without_padtrim():
    X, y, groups = speakers_and_tones()
    pipe = make_pipeline(
        MelSpectrogram(n_fft=512, hop_length=256, n_mels=24, db=True),
        TemporalStats(),
        LogisticRegression(max_iter=1000),
    )
    scores = cross_val_score(pipe, X, y, groups=groups, cv=GroupKFold(3))
    assert scores.min() == 1.0


@pytest.fixture(scope="module")
def cnn10_weights(tmp_path_factory):
    from .test_panns import released_checkpoint

    path = tmp_path_factory.mktemp("panns") / "Cnn10_mAP=0.380.pth"
    released_checkpoint(path, "cnn10")
    return path


@pytest.mark.slow
def test_panns_windows_cover_each_clip_and_aggregate(cnn10_weights):
    from audiosk.features import PANNsEmbedding

    sr = 16000
    rng = np.random.default_rng(0)
    clips = Waveforms(
        [rng.normal(scale=0.1, size=n).astype(np.float32) for n in (40000, 16000)], sr=sr
    )
    step = PANNsEmbedding(cnn10_weights, arch="cnn10", output="both", window_seconds=1.0).fit(clips)
    features, clip, start = step.transform_windows(clips)
    # 2.5 s: windows at 0 and 1 s, and a last one ending at the end (1.5 s); 1 s: one window
    assert clip.tolist() == [0, 0, 0, 1] and start.tolist() == [0.0, 1.0, 1.5, 0.0]
    assert features.shape == (4, 512 + 527)
    whole = PANNsEmbedding(cnn10_weights, arch="cnn10", output="both").fit(clips)
    for row, (i, t) in enumerate(zip(clip, start, strict=True)):
        a = int(t * sr)
        window = clips[i][a : a + sr]
        np.testing.assert_allclose(
            features[row], whole.transform(window[None])[0], rtol=1e-4, atol=1e-5
        )
    mean = step.transform(clips)
    np.testing.assert_allclose(mean[0], features[:3].mean(axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(mean[1], features[3], rtol=1e-6)
    top = step.set_params(aggregate="max").transform(clips)
    np.testing.assert_array_equal(top[0], features[:3].max(axis=0))
    overlapping = step.set_params(hop_seconds=0.5).transform_windows(clips)[2]
    assert overlapping.tolist() == [0.0, 0.5, 1.0, 1.5, 0.0]


def test_panns_windows_refuse_settings_that_skip_audio(tmp_path):
    from audiosk.features import PANNsEmbedding

    X = Waveforms([np.zeros(16000, np.float32)], sr=16000)
    weights = tmp_path / "unread.pth"  # the settings are refused before any file is read
    with pytest.raises(ValueError, match="would be skipped"):
        PANNsEmbedding(weights, window_seconds=1.0, hop_seconds=2.0).fit(X)
    with pytest.raises(ValueError, match="hop_seconds=0.5 needs window_seconds"):
        PANNsEmbedding(weights, hop_seconds=0.5).fit(X)


def speakers_and_tones(seed=0):
    """Ragged clips of two tone classes from six 'speakers' (groups), lengths 0.25-1.1 s."""
    rng = np.random.default_rng(seed)
    clips, y, groups = [], [], []
    for speaker in range(6):
        for label, freq in enumerate((300.0, 900.0)):
            for _ in range(4):
                n = int(rng.integers(2000, 9000))
                clips.append(sine(freq * rng.uniform(0.9, 1.1), n) + 0.05 * rng.normal(size=n))
                y.append(label)
                groups.append(speaker)
    return Waveforms(clips, sr=SR), np.array(y), np.array(groups)


def test_baselines_read_ragged_waveforms_and_spectra_whole():
    from audiosk.model_selection import classical_baselines, compare
    from audiosk.model_selection._baselines import input_kind

    X, y, groups = speakers_and_tones()
    S = MelSpectrogram(n_fft=256, hop_length=128, n_mels=16).fit_transform(X)
    assert input_kind(S) == "spectra" and input_kind(list(S)) == "spectra"
    assert input_kind(X) == "waveforms"
    logistic = classical_baselines(X)["logistic regression (descriptors)"]
    assert [type(s).__name__ for s in logistic[:-2]] == ["AudioDescriptors"]
    scores = cross_val_score(logistic, X, y, groups=groups, cv=GroupKFold(3))
    assert scores.min() == 1.0
    panel = {"k-NN": classical_baselines(S)["k-NN (spectrum statistics)"]}
    table = compare(panel, S, y, cv=GroupKFold(3), groups=groups)
    assert table["accuracy_mean"].iloc[0] == 1.0


@pytest.mark.slow
def test_compare_adds_the_panel_on_ragged_waveforms():
    from audiosk.model_selection import compare

    X, y, groups = speakers_and_tones()
    mine = {
        "log-Mel stats": make_pipeline(
            MelSpectrogram(n_fft=256, hop_length=128, n_mels=16, db=True),
            TemporalStats(),
            LogisticRegression(max_iter=1000),
        )
    }
    table = compare(mine, X, y, cv=GroupKFold(3), groups=groups, baselines="auto")
    panel = 7 if importlib.util.find_spec("opensmile") is None else 8  # with the openSMILE row
    assert len(table) == panel and table.loc["log-Mel stats", "accuracy_mean"] == 1.0
    assert table.loc["logistic regression (descriptors)", "accuracy_mean"] == 1.0


@pytest.mark.parametrize(
    "step",
    [
        Spectrogram(n_fft=256, hop_length=100, center=False, power=1.0),
        Spectrogram(n_fft=256, hop_length=64, pad_mode="reflect", win_length=200),
        MelSpectrogram(n_fft=512, hop_length=128, pad_mode="edge", dtype="float32", n_jobs=2),
        MFCC(n_fft=256, hop_length=80, n_mels=32, n_mfcc=12, lifter=22),
    ],
    ids=["no centring", "reflect, short window", "float32 in threads", "MFCC liftered"],
)
def test_every_setting_gives_each_clip_its_own_spectrum(step, ragged):
    S = step.fit_transform(ragged)
    for x, s in zip(ragged, S, strict=True):
        alone = step.transform(x[None])[0]
        assert s.shape == alone.shape
        np.testing.assert_allclose(s, alone, rtol=1e-6, atol=1e-6 * np.abs(alone).max())
    if step.get_params()["pad_mode"] == "reflect":  # the edges read the clip's own samples
        stft = librosa.stft(ragged[2], n_fft=256, hop_length=64, win_length=200, pad_mode="reflect")
        np.testing.assert_allclose(S[2], np.abs(stft) ** 2, rtol=1e-4, atol=1e-6 * S[2].max())
