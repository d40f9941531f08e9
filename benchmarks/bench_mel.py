"""MelSpectrogram and MFCC against librosa (and audioflux when installed), one thread.

Prints, measured in this run on 32 clips of 10 s at 22,050 Hz (the GTZAN sample
tracks cut into overlapping 10 s windows when ../shared/data is present,
generated music-like clips otherwise), 2048/512/128 Mel:

- seconds (wall and CPU, the minimum of 7 interleaved rounds) and the ratio to a
  per-clip ``librosa.feature.melspectrogram`` loop for audiosk at
  ``dtype="float64"`` and ``"float32"`` and for audioflux's Mel spectrogram
  (float32, C; configured as close to librosa as it allows: Slaney-style bands
  from 0 Hz to sr / 2, band-width normalisation, input zero-padded by n_fft / 2;
  its Mel scale places the band centres differently, hence its error);
- the error of each against librosa: the maximum difference relative to the
  maximum, and the maximum difference in dB above librosa's 80 dB floor;
- one 10 s clip, and MFCC (20 coefficients) against ``librosa.feature.mfcc``;
- audiosk with n_jobs=2.

torchaudio has no wheel for this machine's torch 2.13 and is not measured.

    python benchmarks/bench_mel.py
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # one thread everywhere, set before numpy or audioflux load

import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

SR = 22050
PARAMS = dict(n_fft=2048, hop_length=512, n_mels=128)
SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared/data/gtzan/genres_original_sample"
ROUNDS = 7


def clips():
    """32 clips of 10 s: windows of the GTZAN sample tracks, or generated tones and beats."""
    from audiosk.io import load_audio

    tracks = sorted(SAMPLES.glob("*.wav")) if SAMPLES.is_dir() else []
    if tracks:
        audio = [load_audio(p, sr=SR)[0] for p in tracks]
        starts = np.linspace(0, 17.5 * SR, 32 // len(audio)).astype(int)
        X = np.stack([y[s : s + 10 * SR] for y in audio for s in starts])
        return X, f"{len(X)} windows of 10 s from the {len(tracks)} GTZAN sample tracks"
    rng = np.random.default_rng(0)
    t = np.arange(10 * SR) / SR
    X = np.stack(
        [
            sum(0.2 / k * np.sin(2 * np.pi * k * rng.uniform(110, 880) * t) for k in (1, 2, 3))
            + (np.mod(t, 0.5) < 0.02) * rng.normal(scale=0.3, size=t.size)
            for _ in range(32)
        ]
    ).astype(np.float32)
    return X, "32 generated 10 s clips"


def audioflux_mel():
    """audioflux's Mel spectrogram of the batch, or None when audioflux is not installed."""
    try:
        import audioflux as af
        from audioflux.type import SpectralFilterBankNormalType, SpectralFilterBankStyleType
    except ImportError:
        return None

    def mel(X):
        padded = np.pad(X, [(0, 0), (PARAMS["n_fft"] // 2, PARAMS["n_fft"] // 2)])
        spec, _ = af.mel_spectrogram(
            padded,
            num=PARAMS["n_mels"],
            radix2_exp=int(np.log2(PARAMS["n_fft"])),
            samplate=SR,
            low_fre=0.0,
            high_fre=SR / 2,
            slide_length=PARAMS["hop_length"],
            style_type=SpectralFilterBankStyleType.SLANEY,
            normal_type=SpectralFilterBankNormalType.BAND_WIDTH,
        )
        return spec

    return mel


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def interleaved(candidates):
    """Minimum wall and CPU seconds of each candidate over ROUNDS interleaved rounds."""
    best = {name: [np.inf, np.inf] for name in candidates}
    for _ in range(ROUNDS):
        for name, fn in candidates.items():
            wall, cpu = timed(fn)
            best[name][0] = min(best[name][0], wall)
            best[name][1] = min(best[name][1], cpu)
    return best


def errors(S, ref):
    """Maximum difference relative to the maximum; maximum dB difference above the 80 dB floor."""
    n = min(S.shape[-1], ref.shape[-1])
    S, ref = S[..., :n].astype(np.float64), ref[..., :n].astype(np.float64)
    rel = np.abs(S - ref).max() / np.abs(ref).max()
    db, db_ref = (10 * np.log10(np.maximum(a, 1e-10)) for a in (S, ref))
    floor = db_ref.max(axis=(1, 2), keepdims=True) - 80
    return rel, np.abs(db - db_ref)[db_ref > floor].max()


def table(title, best, reference, errs):
    print(title)
    print(
        f"  {'':22} {'wall s':>8} {'CPU s':>8} {'x librosa (CPU)':>16} {'rel. error':>11} {'dB':>8}"
    )
    for name, (wall, cpu) in best.items():
        rel, db = errs.get(name, (None, None))
        rel_text = "" if rel is None else f"{rel:.1e}"
        db_text = "" if db is None else f"{db:.4f}"
        print(
            f"  {name:22} {wall:8.4f} {cpu:8.4f} {best[reference][1] / cpu:16.2f} "
            f"{rel_text:>11} {db_text:>8}"
        )


def main():
    import librosa
    from threadpoolctl import threadpool_limits

    from audiosk.features import MFCC, MelSpectrogram

    X, source = clips()
    mel64 = MelSpectrogram(sr=SR, **PARAMS)
    mel32 = MelSpectrogram(sr=SR, dtype="float32", **PARAMS)
    flux = audioflux_mel()

    def librosa_mel(X):
        return np.stack([librosa.feature.melspectrogram(y=x, sr=SR, **PARAMS) for x in X])

    candidates = {
        "librosa loop": lambda: librosa_mel(X),
        "audiosk float64": lambda: mel64.transform(X),
        "audiosk float32": lambda: mel32.transform(X),
    }
    if flux is not None:
        candidates["audioflux (float32)"] = lambda: flux(X)
    ref = librosa_mel(X)
    errs = {name: errors(fn(), ref) for name, fn in candidates.items() if name != "librosa loop"}
    print(f"{source}, {SR} Hz, n_fft=2048, hop=512, n_mels=128; one thread, min of {ROUNDS}")
    if flux is None:
        print("  audioflux is not installed (pip install audioflux): its row is skipped")
    print("  torchaudio: no wheel for this machine's torch 2.13, not measured")
    with threadpool_limits(1):
        table("Mel spectrogram, 32 x 10 s", interleaved(candidates), "librosa loop", errs)

        one = X[:1]
        single = {
            "librosa": lambda: librosa.feature.melspectrogram(y=one[0], sr=SR, **PARAMS),
            "audiosk float64": lambda: mel64.transform(one),
            "audiosk float32": lambda: mel32.transform(one),
        }
        if flux is not None:
            single["audioflux (float32)"] = lambda: flux(one)
        table("One 10 s clip", interleaved(single), "librosa", {})

        mfcc = MFCC(sr=SR, **PARAMS)
        mfcc_ref = np.stack([librosa.feature.mfcc(y=x, sr=SR, **PARAMS) for x in X])
        rel = np.abs(mfcc.transform(X) - mfcc_ref).max() / np.abs(mfcc_ref).max()
        best = interleaved(
            {
                "librosa loop": lambda: [librosa.feature.mfcc(y=x, sr=SR, **PARAMS) for x in X],
                "audiosk MFCC": lambda: mfcc.transform(X),
            }
        )
        table("MFCC (20), 32 x 10 s", best, "librosa loop", {"audiosk MFCC": (rel, None)})

        two = MelSpectrogram(sr=SR, n_jobs=2, **PARAMS)
        wall = interleaved({"n_jobs=2": lambda: two.transform(X)})["n_jobs=2"][0]
        print(f"audiosk float64 with n_jobs=2: {wall:.4f} s wall")


if __name__ == "__main__":
    main()
