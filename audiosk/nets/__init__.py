"""Neural networks: torch modules, augmentations and the skorch estimators that wrap them."""

from ._augment import (
    AddNoise,
    Augmentation,
    FrequencyWarp,
    Gain,
    SpecAugment,
    TimeShift,
    TimeStretch,
)
from ._estimators import NeuralClassifier, NeuralRegressor
from ._mixing import BetweenClassMix, Mixup
from ._modules import CNN, MLP, TDNN
from ._panns import PANNs
from ._tensorboard import TensorBoardLogger
from ._vision import GoogLeNet, ResNet

__all__ = [
    "CNN",
    "MLP",
    "AddNoise",
    "Augmentation",
    "BetweenClassMix",
    "FrequencyWarp",
    "Gain",
    "GoogLeNet",
    "Mixup",
    "NeuralClassifier",
    "NeuralRegressor",
    "PANNs",
    "ResNet",
    "SpecAugment",
    "TDNN",
    "TensorBoardLogger",
    "TimeShift",
    "TimeStretch",
]
