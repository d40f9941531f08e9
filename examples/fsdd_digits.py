"""Spoken digits (FSDD): files -> pad -> log-Mel -> CNN, on the upstream split and leave-one-speaker-out.

The upstream split holds out takes 0-4 of every speaker (the same speakers are
on both sides); leave-one-speaker-out tests on a voice the net never heard: a
CNN trained on warped voices, each speaker's microphone and voice colour
removed (speaker mean normalisation), whose predictions for the held-out
speaker are read after warping that speaker's spectra to the factor the net
is most confident about (vocal tract length normalisation). No test labels
are used. Goals: >= 0.99 and >= 0.90 accuracy. About 35 minutes on 2 cores.

    python examples/fsdd_digits.py
"""

import time

import numpy as np
import pandas as pd
from _shared import output_dir, quick, require, save
from sklearn.metrics import accuracy_score
from sklearn.model_selection import LeaveOneGroupOut, cross_validate
from sklearn.pipeline import make_pipeline

from audiosk.adaptation import VTLNClassifier
from audiosk.features import MelSpectrogram, SpectrogramScaler
from audiosk.io import AudioLoader
from audiosk.nets import NeuralClassifier
from audiosk.plotting import plot_confusion_matrix, plot_learning_curves
from audiosk.preprocessing import PadTrim

root = require("fsdd")
out = output_dir("fsdd")
meta = pd.read_csv(root / "metadata.csv")
paths = np.asarray([str(root / f) for f in meta["filename"]])
y, speakers, takes = meta["digit"].to_numpy(), meta["speaker"].to_numpy(), meta["take"].to_numpy()

# load once; the pipeline starts from waveforms so that folds do not reload the files
waves = AudioLoader(sr=8000, n_jobs=2).fit_transform(paths)


def model(speaker_independent=False):
    """A 4-block CNN; for unheard speakers a wider one, on shorter frames, trained on warped voices.

    Frequency warping (vocal tract length perturbation) and time stretching
    make new voices and speaking rates out of the five training speakers;
    SpecAugment masks and mixup regularise further. :class:`VTLNClassifier`
    gives every speaker (in training, and the clips it is asked about at
    prediction: one speaker's, in leave-one-speaker-out) the same mean
    spectrum, then warps the unheard speaker's clips by the factor the net is
    most confident about.
    """
    net = NeuralClassifier(
        "cnn",
        module__channels=(16, 32, 64, 64),
        module__dropout=0.2,
        lr=2e-3,
        max_epochs=quick(40, 1),
        batch_size=64,
        early_stopping=True,
        patience=8,
        random_state=0,
    )
    if not speaker_independent:
        return make_pipeline(
            PadTrim(duration=1.0, sr=8000, side="both"),
            MelSpectrogram(sr=8000, n_mels=40, n_fft=512, hop_length=128, db=True),
            SpectrogramScaler(per_clip=True),
            net,
        )
    net.set_params(
        module__channels=(32, 64, 128, 128), augment=["warp", "stretch", "specaugment", "mixup"]
    )
    return make_pipeline(
        PadTrim(duration=1.0, sr=8000, side="both"),
        # 32 ms windows every 10 ms: sharper plosives and onsets
        MelSpectrogram(sr=8000, n_mels=40, n_fft=256, hop_length=80, db=True),
        # speaker normalisation works on dB spectra, so the per-clip scaling comes after it
        VTLNClassifier(make_pipeline(SpectrogramScaler(per_clip=True), net), center_per_group=True),
    )


rows = []
start = time.perf_counter()
test = takes < 5
official = model().fit([waves[i] for i in np.flatnonzero(~test)], y[~test])
pred = official.predict([waves[i] for i in np.flatnonzero(test)])
rows.append(
    (
        "upstream split (takes 0-4 test)",
        accuracy_score(y[test], pred),
        0.0,
        time.perf_counter() - start,
    )
)
save(
    plot_confusion_matrix(y[test], pred, title="FSDD, upstream split"),
    out / "confusion_upstream.png",
)
save(plot_learning_curves(official), out / "learning_curves_upstream.png")

start = time.perf_counter()
# each training speaker's spectral colour is measured over their own clips (groups passed to fit); each test
# fold is one speaker, so VTLNClassifier normalises it as one and picks one warp factor per fold.
# One fold per process (joblib gives each worker one thread).
folds = cross_validate(
    model(True),
    waves,
    y,
    groups=speakers,
    cv=LeaveOneGroupOut(),
    n_jobs=2,
    params={"vtlnclassifier__groups": speakers},
    return_estimator=True,
    return_indices=True,
)
per_speaker = {}
for fitted, held_out, score in zip(
    folds["estimator"], folds["indices"]["test"], folds["test_score"], strict=True
):
    spectra, adapted = fitted[:-1].transform([waves[i] for i in held_out]), fitted[-1]
    per_speaker[speakers[held_out][0]] = {
        "as recorded": accuracy_score(y[held_out], adapted.estimator_.predict(spectra)),
        "normalised": accuracy_score(
            y[held_out], adapted.estimator_.predict(adapted.normalize(spectra))
        ),
        "normalised + VTLN": score,  # the pipeline's accuracy on the fold
        "warp factor": adapted.select_factors(spectra)[0],
    }
per_speaker = pd.DataFrame(per_speaker).T
print("Leave-one-speaker-out accuracy per held-out speaker")
print(per_speaker.round(3).to_string())
per_speaker.to_csv(out / "leave_one_speaker_out.csv")
seconds = time.perf_counter() - start
for name in ("as recorded", "normalised", "normalised + VTLN"):
    rows.append(
        (
            f"leave-one-speaker-out, {name}",
            per_speaker[name].mean(),
            per_speaker[name].std(ddof=0),
            seconds,
        )
    )

table = pd.DataFrame(rows, columns=["evaluation", "accuracy", "std", "seconds"])
print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
table.to_csv(out / "results.csv", index=False)
