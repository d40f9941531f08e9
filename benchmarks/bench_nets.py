"""One training epoch through audiosk's estimators against a hand-written torch loop.

The same module, data, batch size, optimiser and seed; the estimator also
records its history and per-epoch metric. Prints seconds per epoch (median of
5 epochs after one warm-up) and the ratio audiosk / torch (target <= 1.15).

    python benchmarks/bench_nets.py
"""

import time

import numpy as np
import torch

from audiosk.nets import CNN, MLP, NeuralClassifier


def torch_epochs(module, X, y, *, epochs, batch_size, lr):
    torch.manual_seed(0)
    opt = torch.optim.Adam(module.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        module.train()
        for idx in torch.randperm(len(Xt)).split(batch_size):
            opt.zero_grad()
            loss = loss_fn(module(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - start)
    return times


def audiosk_epochs(name, module_kwargs, X, y, *, epochs, batch_size, lr):
    clf = NeuralClassifier(
        name,
        max_epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        validation_fraction=None,
        random_state=0,
        device="cpu",
        **{f"module__{k}": v for k, v in module_kwargs.items()},
    ).fit(X, y)
    return list(clf.history[:, "dur"])


def main():
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    cases = {
        "mlp 256-128-64 on 2000 x 512": (
            "mlp",
            MLP,
            dict(hidden_layer_sizes=(256, 128, 64), batch_norm=True, dropout=0.2),
            rng.normal(size=(2000, 512)).astype(np.float32),
        ),
        "cnn 4 blocks on 400 x 64 x 63": (
            "cnn",
            CNN,
            dict(channels=(16, 32, 64, 128)),
            rng.normal(size=(400, 64, 63)).astype(np.float32),
        ),
    }
    print(f"{'case':<32} {'torch s/epoch':>14} {'audiosk s/epoch':>16} {'ratio':>6}")
    for label, (name, cls, kwargs, X) in cases.items():
        y = rng.integers(0, 10, len(X))
        epochs, batch_size, lr = 6, 32, 1e-3
        torch.manual_seed(0)
        module = cls(input_shape=X.shape[1:], n_outputs=10, **kwargs)
        t_torch = float(
            np.median(torch_epochs(module, X, y, epochs=epochs, batch_size=batch_size, lr=lr)[1:])
        )
        t_ours = float(
            np.median(
                audiosk_epochs(name, kwargs, X, y, epochs=epochs, batch_size=batch_size, lr=lr)[1:]
            )
        )
        print(f"{label:<32} {t_torch:>14.3f} {t_ours:>16.3f} {t_ours / t_torch:>6.2f}")


if __name__ == "__main__":
    main()
