"""
Learning curves and the learning-rate schedule
==============================================

A net trained with a validation split keeps its history per epoch. With
``groups=`` the split never puts a speaker on both sides, so the validation
curve measures unheard voices. :func:`~audiosk.plotting.plot_learning_curves`
draws the loss, the accuracy and, with ``lr=True``, the cosine learning-rate
schedule of the default recipe.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.pipeline import make_pipeline

from audiosk.datasets import load_spoken_digits
from audiosk.features import MFCC, TemporalStats
from audiosk.io import AudioLoader
from audiosk.nets import NeuralClassifier
from audiosk.plotting import plot_confusion_matrix, plot_learning_curves
from audiosk.preprocessing import PadTrim

digits = load_spoken_digits()
model = make_pipeline(
    AudioLoader(sr=8000),
    PadTrim(),
    MFCC(n_mfcc=20, n_fft=256, hop_length=80),
    TemporalStats(stats=("mean", "std")),
    NeuralClassifier(max_epochs=40, validation_fraction=0.2, random_state=0),
)
model.fit(digits.filenames, digits.target, neuralclassifier__groups=digits.groups)
history = model[-1].history
print(
    f"last epoch: valid_acc {history[-1, 'valid_acc']:.3f}, train_loss {history[-1, 'train_loss']:.3f}"
)
plot_learning_curves(model, lr=True, title="MLP on MFCC statistics, speaker-grouped validation")
plt.show()

# %%
# With the validation speaker unheard, the validation accuracy can peak in
# the first epochs and fall while the training loss keeps dropping: the net
# learns the training voices. ``early_stopping=True`` with
# ``restore_best=True`` keeps the best epoch, and speaker-grouped
# cross-validation (the comparison example) is the honest measure of a
# recipe.
#
# The confusion matrix on the clips of one speaker the net never saw in
# training (refit without that speaker).
held_out = digits.groups == np.unique(digits.groups)[0]
model.set_params(neuralclassifier__validation_fraction=None)
model.fit(digits.filenames[~held_out], digits.target[~held_out])
pred = model.predict(digits.filenames[held_out])
plot_confusion_matrix(
    digits.target[held_out], pred, title=f"Unheard speaker {digits.groups[held_out][0]}"
)
plt.show()
