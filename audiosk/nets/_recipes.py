"""What ``"auto"`` means in the neural estimators: the recipes, optimisers and schedules by name."""

from __future__ import annotations

import torch

from ._augment import Mixup, SpecAugment

__all__ = ["DEFAULT_VALIDATION_FRACTION", "LR_SCHEDULES", "OPTIMIZERS", "RECIPES"]

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}

LR_SCHEDULES = {
    "step": torch.optim.lr_scheduler.StepLR,
    "plateau": torch.optim.lr_scheduler.ReduceLROnPlateau,
    "cosine": torch.optim.lr_scheduler.CosineAnnealingLR,
}


def _spectral_augment():
    return [SpecAugment(freq_width=8, time_width=10), Mixup(0.2)]


#: What ``"auto"`` means, by recipe. Training from scratch follows the number of
#: axes of one sample: a table row or waveform ("table"), a spectrogram
#: ("spectra") or an image ("images"), chosen by benchmarks/bench_defaults.py.
#: A pretrained module (``panns_*``, or any module given ``module__weights``)
#: is fine-tuned ("finetune"): a few epochs, light augmentation. Augmentations
#: are built by a function at every fit, so no instance is shared. On clips of
#: different lengths, the "spectra" TDNN removes no per-clip mean ("ragged"): on
#: short words, the mean of the word's own frames is the word's spectrum, not the
#: channel's (bench_ragged.py --nets, leave one speaker out: digits 0.712 against
#: 0.715 with it, even; FSDD 0.780 against 0.726).
RECIPES = {
    "table": {"module": "mlp", "max_epochs": 100, "augment": lambda: [Mixup(0.4)]},
    "spectra": {
        "module": "tdnn",
        "max_epochs": 40,
        "augment": _spectral_augment,
        "ragged": {"center_per_clip": False},
    },
    "images": {"module": "cnn", "max_epochs": 40, "augment": _spectral_augment},
    "finetune": {"max_epochs": 10, "augment": lambda: [Mixup(0.2)]},
}
_BY_AXES = {1: "table", 2: "spectra", 3: "images"}

#: Share of the training data held out when validation is asked for without a fraction.
DEFAULT_VALIDATION_FRACTION = 0.2
