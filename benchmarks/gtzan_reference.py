"""The GTZAN features computed with separate librosa calls: the reference of bench_gtzan.py.

This is how the published table is made (one librosa call per feature, each
with its own STFT); ``pad_mode="reflect"`` restores the padding librosa used
before 0.10, which the table was computed with. tests/test_gtzan.py compares
GTZANFeatures with it.
"""

import numpy as np


def gtzan_reference(y, sr=22050, pad_mode="reflect"):
    """``length`` and the 57 GTZAN features of one clip, in the table's column order."""
    import librosa

    out = [len(y)]

    def mean_var(a):
        out.extend([float(np.mean(a)), float(np.var(a))])

    mean_var(librosa.feature.chroma_stft(y=y, sr=sr, pad_mode=pad_mode))
    mean_var(librosa.feature.rms(y=y, pad_mode=pad_mode))
    mean_var(librosa.feature.spectral_centroid(y=y, sr=sr, pad_mode=pad_mode))
    mean_var(librosa.feature.spectral_bandwidth(y=y, sr=sr, pad_mode=pad_mode))
    mean_var(librosa.feature.spectral_rolloff(y=y, sr=sr, pad_mode=pad_mode))
    mean_var(librosa.feature.zero_crossing_rate(y))
    harmonic, percussive = librosa.effects.hpss(y)
    mean_var(harmonic)
    mean_var(percussive)
    tempo, _ = librosa.beat.beat_track(y=y, sr=sr)
    out.append(float(np.atleast_1d(tempo)[0]))
    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20, pad_mode=pad_mode)
    for row in mfcc:
        mean_var(row)
    return np.asarray(out, dtype=np.float64)
