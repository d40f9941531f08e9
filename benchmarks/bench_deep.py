"""Training time per epoch of resnet18 and googlenet on 400 clips of 5 s as 64-band log-Mel.

Prints seconds per epoch (median of epochs 2 and 3; the first warms up) on this
CPU, with the default channels-last layout and without it (the figures before
and after), batch size 32, Adam. torch.compile was tried too: on this 2-core CPU
it took 50 s to compile resnet18 and a step was no faster (0.64 s vs 0.58 s),
so it is left to users (skorch's ``compile=True``).

    python benchmarks/bench_deep.py
"""

import numpy as np
import torch


def log_mel_clips(n=400, seconds=5.0, sr=22050):
    from audiosk.containers import WaveformArray
    from audiosk.features import MelSpectrogram

    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * sr)) / sr
    freqs = rng.uniform(100, 4000, size=(n, 1))
    waves = np.sin(2 * np.pi * freqs * t) + 0.1 * rng.normal(size=(n, t.size))
    mel = MelSpectrogram(n_mels=64, hop_length=512, n_fft=2048, db=True)
    return mel.fit_transform(WaveformArray(waves.astype(np.float32), sr=sr)), rng.integers(0, 10, n)


def main():
    from audiosk.nets import NeuralClassifier

    torch.set_num_threads(2)
    X, y = log_mel_clips()
    print(
        f"input {X.shape} (clips, mel bands, frames), batch 32, {torch.get_num_threads()} threads"
    )
    print(f"{'model':<10} {'layout':<15} {'s/epoch':>8}")
    for name in ("resnet18", "googlenet"):
        for channels_last in (False, True):
            clf = NeuralClassifier(
                name,
                module__channels_last=channels_last,
                max_epochs=3,
                batch_size=32,
                validation_fraction=None,
                random_state=0,
                device="cpu",
            ).fit(X, y)
            layout = "channels-last" if channels_last else "contiguous"
            print(f"{name:<10} {layout:<15} {np.median(clf.history[1:, 'dur']):>8.2f}")


if __name__ == "__main__":
    main()
