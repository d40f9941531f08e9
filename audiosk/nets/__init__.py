"""Neural networks: torch modules and the skorch estimators that wrap them."""

from ._estimators import NeuralClassifier, NeuralRegressor, RestoreBestWeights
from ._modules import CNN, MLP
from ._tensorboard import TensorBoardLogger

__all__ = ["CNN", "MLP", "NeuralClassifier", "NeuralRegressor", "RestoreBestWeights", "TensorBoardLogger"]
