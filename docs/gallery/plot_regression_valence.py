"""
Valence regression: a net against ridge
=======================================

Reference workflow 1 on generated utterances: each one is stored as a pickle
(audio, sample rate, valence), as speech-emotion corpora are often shared;
:func:`~audiosk.datasets.load_pickle_folder` reads the folder. A Mel
spectrogram, normalised, feeds an MLP with 256-128-64 units, batch
normalisation, dropout and ReLU, and one linear output, trained on the mean
squared error; ridge regression on the same features is the baseline.

The valence of a generated utterance follows its pitch and its brightness (how
strong its upper harmonics are), plus noise: a stand-in with a known answer,
not an emotion corpus. The script takes about 15 s on 2 cores.
"""

import pickle
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline

from audiosk.datasets import load_pickle_folder
from audiosk.features import Flatten, MelSpectrogram, SpectrogramScaler
from audiosk.model_selection import compare
from audiosk.nets import NeuralRegressor
from audiosk.plotting import plot_learning_curves
from audiosk.preprocessing import PadTrim

SR = 8000
rng = np.random.default_rng(0)
root = Path(tempfile.mkdtemp())
for i in range(160):
    f0 = rng.uniform(100, 300)  # pitch, Hz
    brightness = rng.uniform(0, 1)  # weight of the upper harmonics
    seconds = rng.uniform(0.4, 0.7)  # utterances of different lengths
    t = np.arange(int(seconds * SR)) / SR
    pitch = f0 * (1 + 0.03 * np.sin(2 * np.pi * 5 * t))  # vibrato
    phase = 2 * np.pi * np.cumsum(pitch) / SR
    voice = sum((brightness ** (k - 1)) / k * np.sin(k * phase) for k in range(1, 8))
    audio = 0.3 * voice / np.abs(voice).max() + 0.01 * rng.normal(size=t.size)
    valence = np.clip((f0 - 200) / 100 * 0.6 + (brightness - 0.5) * 0.8, -1, 1)
    valence += 0.05 * rng.normal()
    utterance = {"audio": audio.astype(np.float32), "sr": SR, "valence": valence}
    (root / f"utt{i:03d}.pkl").write_bytes(pickle.dumps(utterance))

data = load_pickle_folder(root, target_key="valence")
print(
    f"{len(data.data)} utterances at {data.sr} Hz, valence from {data.target.min():.2f} "
    f"to {data.target.max():.2f}"
)


def front():
    """Pad to the length 90 % of utterances do not exceed, log-Mel, normalise, flatten."""
    return [
        PadTrim(percentile=90),
        MelSpectrogram(n_mels=32, n_fft=512, hop_length=256, db=True),
        SpectrogramScaler(),
        Flatten(),
    ]


net = NeuralRegressor(
    "mlp",
    module__hidden_layer_sizes=(256, 128, 64),
    module__batch_norm=True,
    module__dropout=0.2,
    lr=1e-3,
    batch_size=32,
    max_epochs=40,
    random_state=0,
)
models = {
    "log-Mel + MLP 256-128-64": make_pipeline(*front(), net),
    "log-Mel + ridge": make_pipeline(*front(), Ridge(alpha=10.0)),
}
table = compare(models, data.data, data.target, cv=KFold(3, shuffle=True, random_state=0))
print(table[["mse_mean", "mse_std", "r2_mean", "r2_std"]].round(3).to_string())

# %%
# On this stand-in ridge is hard to beat: the valence is close to a linear
# function of the Mel energies. On a real corpus the same table says whether
# the net earns its training time.

# %%
# The mean squared error per epoch, on the training utterances and on a
# held-out fifth of them. ``NeuralRegressor`` standardises the target while
# training, so the loss is in units of the target's variance. The training
# curve is the noisier one: it is measured while dropout is on, over the 4
# batches of an epoch, whereas the validation curve uses the whole net.
model = make_pipeline(*front(), net.set_params(validation_fraction=0.2))
model.fit(data.data, data.target)
plot_learning_curves(model, title="MLP 256-128-64: MSE per epoch")
plt.show()
