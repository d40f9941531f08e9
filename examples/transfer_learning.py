"""Spectrogram images with ResNet-18 (last stages trainable) and the short-clip GoogLeNet workflow.

Workflow 4: log-Mel spectrograms resized to 128x128 RGB images through a
colormap, ResNet-18 with only its last two stages and a new head trainable.
Pass ``--weights resnet18.pth`` (a torchvision state dict you downloaded;
nothing is fetched here) to start from ImageNet; without it the same network
trains from scratch, and the script says so.

Workflow 5: short clips padded by looping to a fixed duration, log-Mel resized
to 96x96, GoogLeNet trained with Adam, weight decay and a step learning-rate
schedule; confusion matrix and loss curves saved.

Data: the spoken digits of 3 speakers (FSDD), speaker-grouped hold-out.

    python examples/transfer_learning.py [--weights resnet18.pth]
"""

import argparse
import time

import numpy as np
import pandas as pd
from _shared import output_dir, quick, require, save
from sklearn.pipeline import make_pipeline

from audiosk.features import MelSpectrogram, SpectrogramImage, SpectrogramScaler
from audiosk.io import AudioLoader
from audiosk.model_selection import holdout_report
from audiosk.nets import NeuralClassifier
from audiosk.plotting import plot_confusion_matrix, plot_learning_curves
from audiosk.preprocessing import PadTrim

parser = argparse.ArgumentParser()
parser.add_argument("--weights", help="torchvision ResNet-18 state dict (ImageNet)")
args = parser.parse_args()

root = require("fsdd")
out = output_dir("transfer")
meta = pd.read_csv(root / "metadata.csv")
meta = meta[meta["speaker"].isin(["george", "jackson", "lucas"]) & (meta["take"] % 2 == 0)]
waves = AudioLoader(sr=8000, n_jobs=2).fit_transform([str(root / f) for f in meta["filename"]])
y = meta["digit"].to_numpy()
test = (meta["speaker"] == "lucas").to_numpy()  # an unheard voice
train_idx, test_idx = np.flatnonzero(~test), np.flatnonzero(test)
X_train, X_test = [waves[i] for i in train_idx], [waves[i] for i in test_idx]
print(f"{len(train_idx)} training clips (george, jackson), {len(test_idx)} test clips (lucas)")

front = [
    PadTrim(duration=1.0, sr=8000, mode="wrap"),
    MelSpectrogram(sr=8000, n_mels=64, n_fft=512, hop_length=64, db=True),
]
if args.weights is None:
    print(
        "No --weights given: ResNet-18 trains from scratch (pass a torchvision state dict to transfer)."
    )
resnet = make_pipeline(
    *front,
    SpectrogramImage(height=128, width=128, channels=3, cmap="magma"),
    NeuralClassifier(
        "resnet18",
        module__weights=args.weights,
        module__trainable_layers=2 if args.weights else None,
        optimizer="adam",
        lr=1e-3,
        weight_decay=1e-4,
        max_epochs=quick(15, 1),
        batch_size=32,
        restore_best=True,
        random_state=0,
    ),
)
googlenet = make_pipeline(
    *front,
    SpectrogramScaler(per_clip=True),
    SpectrogramImage(height=96, width=96),
    NeuralClassifier(
        "googlenet",
        optimizer="adam",
        lr=1e-3,
        weight_decay=1e-4,
        max_epochs=quick(15, 1),
        batch_size=32,
        lr_schedule=("step", {"step_size": 10, "gamma": 0.1}),
        augment="specaugment",
        restore_best=True,
        random_state=0,
    ),
)
start = time.perf_counter()
models = {
    "ResNet-18 on colour spectrogram images": resnet,
    "GoogLeNet, looped 1 s clips": googlenet,
}
report, fitted = holdout_report(
    models, X_train, y[train_idx], X_test, y[test_idx], return_estimator=True
)
print(report.round(3).to_string())
report.to_csv(out / "results.csv")
for name, (model, predictions) in fitted.items():
    slug = name.split(",")[0].split(" ")[0].lower()
    save(plot_confusion_matrix(y[test_idx], predictions, title=name), out / f"confusion_{slug}.png")
    save(plot_learning_curves(model), out / f"learning_curves_{slug}.png")
print(f"total {time.perf_counter() - start:.0f} s")
