"""PadTrim: lengths in samples, seconds or a learned percentile; silence, loop, mirror or stretch."""

import librosa
import numpy as np
import pytest

from audiosk.containers import Waveforms
from audiosk.preprocessing import PadTrim

from ._helpers import chirp, tone

SR = 22050


def test_padtrim_lengths_modes_and_sides():
    clips = [np.arange(1, 4, dtype=np.float32), np.arange(1, 9, dtype=np.float32)]
    out = PadTrim(length=5).fit_transform(clips)
    np.testing.assert_array_equal(out, [[1, 2, 3, 0, 0], [1, 2, 3, 4, 5]])
    np.testing.assert_array_equal(
        PadTrim(length=5, side="left").fit_transform(clips), [[0, 0, 1, 2, 3], [4, 5, 6, 7, 8]]
    )
    np.testing.assert_array_equal(
        PadTrim(length=6, side="both").fit_transform(clips),
        [[0, 1, 2, 3, 0, 0], [2, 3, 4, 5, 6, 7]],
    )
    np.testing.assert_array_equal(
        PadTrim(length=7, mode="wrap").fit_transform(clips[:1]), [[1, 2, 3, 1, 2, 3, 1]]
    )
    np.testing.assert_array_equal(
        PadTrim(length=5, mode="reflect").fit_transform(clips[:1]), [[1, 2, 3, 2, 1]]
    )
    assert PadTrim(length=5).fit_transform(np.ones((2, 9))).shape == (2, 5)


def test_padtrim_remembers_the_rate_of_its_length():
    """A length fitted at 8 kHz counts 8 kHz samples: 16 kHz input would get half the duration."""
    X = np.ones((3, 6000), dtype=np.float32)
    pad = PadTrim(duration=1).fit(Waveforms(list(X), sr=8000))
    assert pad.length_ == 8000 and pad.sample_rate_ == 8000
    with pytest.raises(ValueError, match=r"PadTrim was fitted on waveforms at 8000 Hz.*16000 Hz"):
        pad.transform(Waveforms(list(X), sr=16000))
    out = pad.transform(X)  # a plain array is taken at the fitted rate
    assert out.sr == 8000 and out.shape == (3, 8000)
    np.testing.assert_array_equal(out[:, :6000], 1)
    np.testing.assert_array_equal(out[:, 6000:], 0)
    learned = PadTrim(percentile=90).fit(Waveforms(list(X), sr=8000))
    with pytest.raises(ValueError, match=r"PadTrim was fitted on waveforms at 8000 Hz.*16000 Hz"):
        learned.transform(Waveforms(list(X), sr=16000))


def test_padtrim_stretch_keeps_pitch_and_matches_librosa():
    sr = 8000
    clips = [
        tone(440.0, seconds=0.5, sr=sr),
        chirp(seconds=2.0, sr=sr),
        tone(300.0, seconds=0.04, sr=sr),
    ]
    out = PadTrim(duration=1.0, sr=sr, mode="stretch").fit_transform(Waveforms(clips, sr=sr))
    assert out.shape == (3, sr) and out.sr == sr
    expected = librosa.effects.time_stretch(clips[0], rate=0.5, n_fft=512, hop_length=128)
    n = min(len(expected), sr)
    np.testing.assert_allclose(out[0, :n], expected[:n], atol=1e-6)
    spectrum = np.abs(np.fft.rfft(out[0]))
    assert np.fft.rfftfreq(sr, 1 / sr)[np.argmax(spectrum)] == pytest.approx(
        440.0, abs=2
    )  # pitch kept
    # the chirp (100 Hz -> 2 kHz over 2 s) now sweeps in 1 s: its centroid rises twice as fast
    centroid = librosa.feature.spectral_centroid(y=out[1], sr=sr, n_fft=512, hop_length=128)[0]
    original = librosa.feature.spectral_centroid(y=clips[1], sr=sr, n_fft=512, hop_length=128)[0]
    np.testing.assert_allclose(centroid[10:50], original[20:100:2], rtol=0.1)
    assert np.abs(out[2]).max() > 0.1  # a clip shorter than the vocoder window still comes out
    same = tone(seconds=1.0, sr=sr)
    np.testing.assert_array_equal(
        PadTrim(length=sr, mode="stretch").fit_transform(same[None]), same[None]
    )


def test_padtrim_percentile_and_duration():
    lengths = [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]
    clips = [np.ones(n, dtype=np.float32) for n in lengths]
    assert PadTrim(percentile=90).fit(clips).length_ == 900
    assert PadTrim(percentile=100).fit(clips).length_ == 1000
    assert PadTrim(percentile=50).fit(clips).length_ == 500
    assert PadTrim(percentile=91).fit(clips).length_ == 1000
    assert PadTrim(duration=0.5, sr=8000).fit(clips).length_ == 4000
    assert PadTrim(duration=0.25).fit(Waveforms(clips, sr=16000)).length_ == 4000
    with pytest.raises(ValueError, match="needs the sample rate"):
        PadTrim(duration=1.0).fit(clips)
    with pytest.raises(ValueError, match=r"takes one of length, duration or percentile; got "):
        PadTrim(length=3, percentile=90).fit(clips)
    assert PadTrim().fit(clips).length_ == 1000  # no argument: the longest clip seen at fit
    out = PadTrim(percentile=90).fit_transform(Waveforms(clips, sr=8000))
    assert out.sr == 8000 and out.shape == (10, 900) and out.dtype == np.float32
