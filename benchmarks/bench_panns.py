"""PANNs embeddings per second: CNN10 and CNN14 on 10-second clips, CPU (and CUDA when present).

Speed does not depend on the weights' values, so this builds each network
with a checkpoint of random values in the released layout (nothing is
downloaded). For each model and torch thread count it prints clips embedded
per second by :class:`~audiosk.features.PANNsEmbedding` (16 kHz input, so the
resampling to 32 kHz is included) and the real-time factor (seconds of audio
per second of compute), and the time of the log-Mel front end alone against
librosa's ``melspectrogram`` + ``power_to_db`` on the same clips.

    python benchmarks/bench_panns.py [--clips 16] [--seconds 10]
"""

import argparse
import tempfile
import time
from pathlib import Path

import librosa
import numpy as np
import torch

from audiosk.containers import Waveforms
from audiosk.features import PANNsEmbedding
from audiosk.nets import PANNs
from audiosk.nets._panns import LogMel
from audiosk.utils._dsp import FRONT_END, PANNS_SR, resample


def best_of(func, repeats=2):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    sr = 16000
    rng = np.random.default_rng(0)
    X = Waveforms(
        (0.1 * rng.normal(size=(args.clips, int(args.seconds * sr)))).astype(np.float32), sr=sr
    )
    audio_seconds = args.clips * args.seconds
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"{args.clips} clips of {args.seconds:g} s at {sr} Hz; batch 8; best of 2 runs")
    print(f"{'model':6s} {'device':6s} {'threads':>7s} {'clips/s':>8s} {'x real time':>11s}")
    with tempfile.TemporaryDirectory() as tmp:
        for arch in ("cnn10", "cnn14"):
            path = Path(tmp) / f"{arch}.pth"
            state = PANNs(arch=arch).state_dict()
            torch.save({"model": state}, path)
            for device in devices:
                for threads in [1, 2] if device == "cpu" else [torch.get_num_threads()]:
                    torch.set_num_threads(threads)
                    step = PANNsEmbedding(path, arch=arch, batch_size=8, device=device).fit(X)
                    step.transform(X[:2])  # warm-up
                    seconds = best_of(lambda step=step: step.transform(X))
                    print(
                        f"{arch:6s} {device:6s} {threads:7d} {args.clips / seconds:8.2f} "
                        f"{audio_seconds / seconds:11.1f}"
                    )
    torch.set_num_threads(1)
    at_32k = resample(torch.from_numpy(np.stack(X)), sr, PANNS_SR)
    front_end = LogMel(PANNS_SR, **FRONT_END)
    ours = best_of(lambda: front_end(at_32k))
    clips = at_32k.numpy().astype(np.float64)

    def with_librosa():
        mel = librosa.feature.melspectrogram(
            y=clips, sr=PANNS_SR, n_fft=1024, hop_length=320, n_mels=64, fmin=50.0, fmax=14000.0
        )
        librosa.power_to_db(mel, top_db=None)

    theirs = best_of(with_librosa)
    print(
        f"log-Mel front end, 1 thread: audiosk (torch) {ours:.3f} s, librosa {theirs:.3f} s "
        f"for {audio_seconds:g} s of audio"
    )


if __name__ == "__main__":
    main()
