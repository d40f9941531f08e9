"""Pretrained PANNs against MFCC statistics and a CNN from scratch, on EmoDB emotions.

One ``compare`` table, 5 speaker-grouped folds (no speaker in both training
and test), 7 emotions:

- MFCC statistics + logistic regression,
- log-Mel + a CNN trained from scratch,
- PANNs embeddings (CNN14's 2048 values, or CNN10's 512) + logistic regression.

The PANNs step needs a released checkpoint; nothing is downloaded here.
Get it once with ``audiosk.datasets.fetch_panns_weights("cnn14")`` (327 MB
from Zenodo) or by hand, and pass its path::

    python examples/panns_transfer.py --weights ~/audiosk_data/panns_cnn14/Cnn14_mAP=0.431.pth
    python examples/panns_transfer.py --weights Cnn10_mAP=0.380.pth --arch cnn10

Without the file the script says so and stops.
"""

import argparse
import os
import sys

import pandas as pd
from _shared import output_dir, quick, require
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from audiosk.features import (
    MFCC,
    MelSpectrogram,
    PANNsEmbedding,
    SpectrogramScaler,
    TemporalStats,
)
from audiosk.io import AudioLoader
from audiosk.model_selection import compare
from audiosk.nets import NeuralClassifier

parser = argparse.ArgumentParser()
parser.add_argument("--weights", default=os.environ.get("AUDIOSK_PANNS_WEIGHTS"))
parser.add_argument("--arch", default="cnn14", choices=["cnn14", "cnn10"])
args = parser.parse_args()

root = require("emodb")
if not args.weights or not os.path.isfile(args.weights):
    print(
        f"Skipping: PANNs weights {args.weights or '(none given)'} not found. Pass --weights "
        "PATH (or set AUDIOSK_PANNS_WEIGHTS); audiosk.datasets.fetch_panns_weights downloads them."
    )
    sys.exit(0)
out = output_dir("panns")
SR = 16000
meta = pd.read_csv(root / "emodb_meta.csv")
X = AudioLoader(sr=SR, n_jobs=2, verbose=1).fit_transform([str(root / f) for f in meta["filename"]])
y = meta["emotion"].to_numpy()
speakers = meta["speaker"].to_numpy()

models = {
    "MFCC stats + logistic regression": make_pipeline(
        MFCC(n_mfcc=30, n_fft=512, hop_length=160),
        TemporalStats(stats=("mean", "std", "min", "max")),
        StandardScaler(),
        LogisticRegression(C=0.1, max_iter=3000),
    ),
    "log-Mel + CNN from scratch": make_pipeline(
        MelSpectrogram(n_mels=64, n_fft=512, hop_length=256, db=True),
        SpectrogramScaler(per_clip=True),
        NeuralClassifier("cnn", max_epochs=quick(40, 1), random_state=0),
    ),
    f"PANNs {args.arch.upper()} embedding + logistic regression": make_pipeline(
        PANNsEmbedding(args.weights, arch=args.arch, verbose=1),
        StandardScaler(),
        LogisticRegression(C=0.1, max_iter=3000),
    ),
}
table = compare(models, X, y, cv=5, groups=speakers, verbose=1)
print("\nEmoDB emotions (7 classes, chance 0.19), 5 speaker-grouped folds")
print(table.round(3).to_string())
table.to_csv(out / f"compare_{args.arch}.csv")
