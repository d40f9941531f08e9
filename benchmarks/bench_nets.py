"""One training epoch through NeuralClassifier against a hand-written torch loop.

The same module (built from the same seed), data, batch size, optimiser
(AdamW, learning rate 1e-3, weight decay 1e-2), one torch thread, and batches
reshuffled every epoch. The estimator also checks its parameters, draws from
its own generator, records its history and scores training accuracy each
epoch; augmentation and the learning-rate schedule are switched off, since
the hand loop has neither. Prints seconds per epoch (median of the epochs
after the first of each fit, over rounds that alternate the two) for both
and the ratio audiosk / torch (target <= 1.10),
for the default MLP on a table and the default TDNN on spectra.

Then two seeded TDNN nets (one torch thread each) are fitted one after the
other and at once in two threads of this process: the wall time of each,
and whether the threaded models equal the sequential ones (audiosk's
modules draw from each net's own generator, so threads need no shared
lock; the speed-up is bounded by the cores).

``--recipe-cost``: the training cost of the default recipe for spectra
against the previous one (the TDNN with per-clip mean removal, 40 epochs,
SpecAugment and mixup 0.2, whole clips), in one run: both fitted one after
the other on the same 320 clips of 5 s (cut from the instrument recordings
of ``../shared/data/instruments``, one every 1.25 s; 64-band log-Mel at
22,050 Hz; generated tones when the folder is absent), one torch thread,
CPU seconds of ``fit``, and their accuracy on 80 clips of other recordings.
The recipe's cost limit: at most 2x.

    python benchmarks/bench_nets.py [--epochs 4] [--rounds 3]
    python benchmarks/bench_nets.py --recipe-cost
"""

import argparse
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from sklearn.model_selection import StratifiedGroupKFold

from audiosk.nets import MLP, TDNN, NeuralClassifier


def torch_epochs(module, X, y, *, epochs, batch_size):
    """Seconds of each epoch of a plain training loop."""
    opt = torch.optim.AdamW(module.parameters(), lr=1e-3, weight_decay=1e-2)
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    generator = torch.Generator().manual_seed(0)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        module.train()
        for idx in torch.randperm(len(Xt), generator=generator).split(batch_size):
            opt.zero_grad()
            loss = loss_fn(module(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - start)
    return times


def audiosk_epochs(name, X, y, *, epochs, batch_size):
    """Seconds of each epoch of NeuralClassifier (skorch's history)."""
    clf = NeuralClassifier(
        name,
        max_epochs=epochs,
        batch_size=batch_size,
        augment=None,
        lr_schedule=None,
        random_state=0,
        device="cpu",
        n_threads=1,
    ).fit(X, y)
    return list(clf.history[:, "dur"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--recipe-cost", action="store_true", help="the recipe against the last")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.recipe_cost:
        recipe_cost()
        return
    rng = np.random.default_rng(0)
    cases = {
        "mlp (default) on 2000 x 57": ("mlp", MLP, rng.normal(size=(2000, 57))),
        "tdnn (default) on 300 x 64 x 100": ("tdnn", TDNN, rng.normal(size=(300, 64, 100))),
    }
    print(f"{'case':<34} {'torch s/epoch':>14} {'audiosk s/epoch':>16} {'ratio':>6}")
    for label, (name, cls, X) in cases.items():
        X = X.astype(np.float32)
        y = rng.integers(0, 10, len(X))
        hand, ours = [], []
        for _ in range(args.rounds):  # alternated, so that other load hits both alike
            torch.manual_seed(0)
            module = cls(input_shape=X.shape[1:], n_outputs=10)
            hand += torch_epochs(module, X, y, epochs=args.epochs, batch_size=32)[1:]
            ours += audiosk_epochs(name, X, y, epochs=args.epochs, batch_size=32)[1:]
        t_torch, t_ours = float(np.median(hand)), float(np.median(ours))
        print(f"{label:<34} {t_torch:>14.3f} {t_ours:>16.3f} {t_ours / t_torch:>6.2f}")
    threads(cases["tdnn (default) on 300 x 64 x 100"][2].astype(np.float32), rng, args.epochs)


def threads(X, rng, epochs):
    """Wall time of two seeded nets fitted one after the other, then in two threads."""
    y = rng.integers(0, 10, len(X))

    def fit(seed):
        net = NeuralClassifier(max_epochs=epochs, random_state=seed, device="cpu", n_threads=1)
        return net.fit(X, y).predict_proba(X)

    start = time.perf_counter()
    sequential = [fit(seed) for seed in (0, 1)]
    t_seq = time.perf_counter() - start
    start = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        threaded = list(pool.map(fit, (0, 1)))
    t_thr = time.perf_counter() - start
    same = max(float(np.abs(a - b).max()) for a, b in zip(sequential, threaded, strict=True))
    print(
        f"two TDNN fits: one after the other {t_seq:.2f} s, in two threads {t_thr:.2f} s "
        f"({t_seq / t_thr:.2f}x); largest probability difference {same:.1e}"
    )


def five_second_clips(n_train=320, n_test=80, seconds=5.0):
    """Log-Mel spectra of clips of 5 s cut from recordings: training and test clips from different ones."""
    from bench_defaults import DATA

    from audiosk.features import MelSpectrogram
    from audiosk.io import AudioLoader
    from audiosk.preprocessing import split_windows

    meta_path = DATA / "instruments" / "metadata.csv"
    if meta_path.exists():
        import pandas as pd

        meta = pd.read_csv(meta_path)
        sr, source = 22050, "instrument recordings"
        waves = AudioLoader(sr=sr).fit_transform(
            [str(DATA / "instruments" / p) for p in meta["path"]]
        )
        labels = meta["label"].to_numpy()
    else:
        rng = np.random.default_rng(0)
        sr, source = 16000, "generated tones (no instruments folder)"
        t = np.arange(int(12 * sr)) / sr
        labels = np.repeat(np.arange(10), 12)
        waves = [
            np.sin(2 * np.pi * 110 * (k + 2) * t) * rng.uniform(0.2, 1) + rng.normal(0, 0.1, t.size)
            for k in labels
        ]
    length = int(seconds * sr)
    long_enough = [i for i, w in enumerate(waves) if len(w) >= length]
    clips, clip, _ = split_windows(
        [waves[i] for i in long_enough], window_length=length, hop_length=length // 4
    )
    clip = np.asarray(long_enough)[clip]
    # one fold of 5 split by recording (no recording on both sides), stratified by class
    folds = StratifiedGroupKFold(5, shuffle=True, random_state=0)
    with warnings.catch_warnings():  # a class with fewer than 5 clips
        warnings.simplefilter("ignore", UserWarning)
        train, test = next(folds.split(clips, labels[clip], groups=clip))
    rng = np.random.default_rng(0)
    train, test = rng.permutation(train)[:n_train], rng.permutation(test)[:n_test]
    mel = MelSpectrogram(sr=sr, n_mels=64, n_fft=512, hop_length=256, db=True, dtype="float32")
    S = mel.fit_transform(clips)
    return S[train], labels[clip[train]], S[test], labels[clip[test]], source


def recipe_cost():
    """CPU seconds of fit: the default recipe for spectra against the previous one."""
    from bench_defaults import previous_recipe

    Xtr, ytr, Xte, yte, source = five_second_clips()
    print(f"{len(Xtr)} training clips of 5 s, spectra {Xtr.shape[1:]}, {len(Xte)} test; {source}")
    cost = {}
    for name, net in (
        ("previous recipe", previous_recipe().set_params(n_threads=1)),
        ("NeuralClassifier()", NeuralClassifier(random_state=0, n_threads=1)),
    ):
        start = time.process_time()
        net.fit(Xtr, ytr)
        cost[name] = time.process_time() - start
        accuracy = float((net.predict(Xte) == yte).mean())
        print(
            f"{name:<20} fit {cost[name]:6.1f} CPU s ({net.max_epochs_} epochs, window "
            f"{getattr(net, 'window_length_', None)} frames); accuracy {accuracy:.3f}"
        )
    ratio = cost["NeuralClassifier()"] / cost["previous recipe"]
    print(f"NeuralClassifier() / previous recipe: {ratio:.2f}x the CPU time (limit 2x)")


if __name__ == "__main__":
    main()
