"""Neural networks: torch modules, augmentations and the skorch estimators that wrap them."""

from ._augment import AddNoise, Mixup, SpecAugment, TimeShift, make_augmentations
from ._estimators import NeuralClassifier, NeuralRegressor, RestoreBestWeights
from ._modules import CNN, MLP
from ._tensorboard import TensorBoardLogger
from ._vision import GoogLeNet, ResNet

__all__ = [
    "CNN",
    "MLP",
    "AddNoise",
    "GoogLeNet",
    "Mixup",
    "NeuralClassifier",
    "NeuralRegressor",
    "ResNet",
    "RestoreBestWeights",
    "SpecAugment",
    "TensorBoardLogger",
    "TimeShift",
    "make_augmentations",
]
