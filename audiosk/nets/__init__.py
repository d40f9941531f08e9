"""Neural networks: torch modules, augmentations and the skorch estimators that wrap them."""

from ..utils._deprecation import moved_names
from ._augment import (
    AddNoise,
    Augmentation,
    FrequencyWarp,
    Mixup,
    SpecAugment,
    TimeShift,
    TimeStretch,
)
from ._callbacks import RestoreBestWeights
from ._estimators import NeuralClassifier, NeuralRegressor
from ._modules import CNN, MLP, TDNN
from ._panns import PANNs
from ._tensorboard import TensorBoardLogger
from ._vision import GoogLeNet, ResNet

__all__ = [
    "CNN",
    "MLP",
    "AddNoise",
    "Augmentation",
    "FrequencyWarp",
    "GoogLeNet",
    "Mixup",
    "NeuralClassifier",
    "NeuralRegressor",
    "PANNs",
    "ResNet",
    "RestoreBestWeights",
    "SpecAugment",
    "TDNN",
    "TensorBoardLogger",
    "TimeShift",
    "TimeStretch",
]

__getattr__ = moved_names(
    __name__,
    {"make_augmentations": "audiosk.nets._augment", "resample": "audiosk.utils._dsp"},
    removed_in="0.3",
)
