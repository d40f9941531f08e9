"""audiosk: machine learning on audio as a scikit-learn problem.

Audio steps (loading, pad/trim, spectrograms, MFCC, descriptor tables) are
scikit-learn transformers and neural networks are skorch estimators, so a
pipeline from file paths to predictions is one estimator that every
scikit-learn search and cross-validation tool accepts.
"""

__version__ = "0.1.0"

from .io import AudioLoader, AudioLoadError, load_audio

__all__ = ["AudioLoadError", "AudioLoader", "load_audio", "__version__"]
