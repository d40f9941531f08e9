"""The neural estimators: skorch nets whose architecture and recipe are chosen from the data."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d
from skorch import NeuralNetClassifier, NeuralNetRegressor
from skorch.callbacks import EpochScoring
from skorch.dataset import Dataset
from skorch.utils import to_numpy
from torch.utils.data import DataLoader

from ..utils._sklearn_compat import InvalidParameterError
from ._base import BaseAudioNet
from ._docs import net_docstring
from ._runtime import torch_threads

__all__ = ["NeuralClassifier", "NeuralRegressor"]


def _standardized_r2(net, X, y):
    """Score R2 of the net's outputs against the standardised targets it trains on."""
    from sklearn.metrics import r2_score

    y_true = np.asarray(y if not torch.is_tensor(y) else y.cpu().numpy())
    y_pred = to_numpy(net.forward(X, training=False))
    return float(r2_score(y_true.reshape(len(y_true), -1), y_pred.reshape(len(y_pred), -1)))


def _encoded_accuracy(net, X, y):
    """Score the argmax against the encoded labels the net trains on."""
    y_true = np.asarray(y if not torch.is_tensor(y) else y.cpu().numpy()).ravel()
    return float(np.mean(net.predict_proba(X).argmax(axis=1) == y_true))


class NeuralClassifier(BaseAudioNet, NeuralNetClassifier):
    __doc__ = net_docstring("classifier")

    _stratify = True
    _parameter_constraints: dict = {
        **BaseAudioNet._parameter_constraints,
        "classes": ["array-like", None],
    }

    def __init__(
        self,
        module="auto",
        *,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer="adamw",
        lr=1e-3,
        max_epochs="auto",
        batch_size=32,
        weight_decay=1e-2,
        momentum=0.9,
        validation_fraction=None,
        early_stopping=False,
        patience=5,
        lr_schedule="cosine",
        restore_best=False,
        augment="auto",
        window_length="auto",
        n_windows="auto",
        trim_db="auto",
        average_weights="auto",
        random_state=None,
        n_threads=1,
        device="auto",
        on_interrupt="raise",
        verbose=0,
        callbacks=None,
        train_split=None,
        classes=None,
        warm_start=False,
        iterator_train=DataLoader,
        iterator_valid=DataLoader,
        dataset=Dataset,
        predict_nonlinearity="auto",
        compile=False,
        use_caching="auto",
        torch_load_kwargs=None,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            weight_decay=weight_decay,
            momentum=momentum,
            validation_fraction=validation_fraction,
            early_stopping=early_stopping,
            patience=patience,
            lr_schedule=lr_schedule,
            restore_best=restore_best,
            augment=augment,
            window_length=window_length,
            n_windows=n_windows,
            trim_db=trim_db,
            average_weights=average_weights,
            random_state=random_state,
            n_threads=n_threads,
            device=device,
            on_interrupt=on_interrupt,
            verbose=verbose,
            callbacks=callbacks,
            train_split=train_split,
            classes=classes,
            warm_start=warm_start,
            iterator_train=iterator_train,
            iterator_valid=iterator_valid,
            dataset=dataset,
            predict_nonlinearity=predict_nonlinearity,
            compile=compile,
            use_caching=use_caching,
            torch_load_kwargs=torch_load_kwargs,
            **kwargs,
        )

    def _metric_callbacks(self):
        yield (
            "train_acc",
            EpochScoring(_encoded_accuracy, name="train_acc", lower_is_better=False, on_train=True),
        )
        if self._validates():
            yield (
                "valid_acc",
                EpochScoring(_encoded_accuracy, name="valid_acc", lower_is_better=False),
            )

    @property
    def classes_(self):
        if "classes_inferred_" in self.__dict__:
            return self.classes_inferred_
        if self.classes is not None and getattr(self, "initialized_", False):
            return np.asarray(self.classes)  # a net built in code, weights loaded
        raise AttributeError("classes_")

    def _prepare(self, X, y, *, reset, classes=None):
        X, y = self._check_X(X, y, reset=reset)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if reset:
            known = self.classes if classes is None else classes
            self.classes_inferred_ = np.unique(y if known is None else known)
            if len(self.classes_inferred_) < 2:
                source = "y has" if known is None else "classes lists"
                error = ValueError if known is None else InvalidParameterError
                raise error(
                    f"{type(self).__name__} needs at least 2 classes; {source} 1 class: "
                    f"{self.classes_inferred_.tolist()}."
                )
            self.n_outputs_ = len(self.classes_inferred_)
        unknown = np.setdiff1d(y, self.classes_)
        if len(unknown):
            source = "the first fit" if not reset else "classes"
            raise ValueError(f"y has labels {unknown.tolist()} not in {source}.")
        return X, np.searchsorted(self.classes_, y).astype(np.int64)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or list of arrays
            Input as at fit: a table, spectra, images or waveforms (clips of
            any length as a list); a net that reads windows averages each
            clip's windows.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The probability of each class of ``classes_``.
        """
        X = self._check_X(X)
        with torch_threads(self.n_threads):
            if self._predicts_by_window(X):  # the mean of the windows' probabilities
                return self._by_window(X, super().predict_proba).astype(np.float32)
            return super().predict_proba(X)

    def predict(self, X):
        """Predicted labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or list of arrays
            Input as at fit: a table, spectra, images or waveforms (clips of
            any length as a list); a net that reads windows averages each
            clip's windows.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]


class NeuralRegressor(BaseAudioNet, NeuralNetRegressor):
    __doc__ = net_docstring("regressor")

    _stratify = False
    _parameter_constraints: dict = {
        **BaseAudioNet._parameter_constraints,
        "standardize_target": ["boolean"],
    }

    def __init__(
        self,
        module="auto",
        *,
        criterion=torch.nn.MSELoss,
        optimizer="adamw",
        lr=1e-3,
        max_epochs="auto",
        batch_size=32,
        weight_decay=1e-2,
        momentum=0.9,
        validation_fraction=None,
        early_stopping=False,
        patience=5,
        lr_schedule="cosine",
        restore_best=False,
        augment="auto",
        window_length="auto",
        n_windows="auto",
        trim_db="auto",
        average_weights="auto",
        standardize_target=True,
        random_state=None,
        n_threads=1,
        device="auto",
        on_interrupt="raise",
        verbose=0,
        callbacks=None,
        train_split=None,
        warm_start=False,
        iterator_train=DataLoader,
        iterator_valid=DataLoader,
        dataset=Dataset,
        predict_nonlinearity="auto",
        compile=False,
        use_caching="auto",
        torch_load_kwargs=None,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            weight_decay=weight_decay,
            momentum=momentum,
            validation_fraction=validation_fraction,
            early_stopping=early_stopping,
            patience=patience,
            lr_schedule=lr_schedule,
            restore_best=restore_best,
            augment=augment,
            window_length=window_length,
            n_windows=n_windows,
            trim_db=trim_db,
            average_weights=average_weights,
            random_state=random_state,
            n_threads=n_threads,
            device=device,
            on_interrupt=on_interrupt,
            verbose=verbose,
            callbacks=callbacks,
            train_split=train_split,
            warm_start=warm_start,
            iterator_train=iterator_train,
            iterator_valid=iterator_valid,
            dataset=dataset,
            predict_nonlinearity=predict_nonlinearity,
            compile=compile,
            use_caching=use_caching,
            torch_load_kwargs=torch_load_kwargs,
            **kwargs,
        )
        self.standardize_target = standardize_target

    def _metric_callbacks(self):
        # R2 is the same in standardised units, which the net predicts and the dataset holds
        yield (
            "train_r2",
            EpochScoring(_standardized_r2, name="train_r2", lower_is_better=False, on_train=True),
        )
        if self._validates():
            yield "valid_r2", EpochScoring(_standardized_r2, name="valid_r2", lower_is_better=False)

    def _prepare(self, X, y, *, reset, classes=None):
        X, y = self._check_X(X, y, reset=reset, multi_output=True, y_numeric=True)
        y = np.asarray(y, dtype=np.float64)
        if reset:
            self.y_ndim_ = y.ndim
            self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
            y2 = y.reshape(len(y), -1)
            if self.standardize_target:
                std = y2.std(axis=0)
                self.target_mean_ = y2.mean(axis=0)
                self.target_scale_ = np.where(std > 0, std, 1.0)
            else:
                self.target_mean_ = np.zeros(y2.shape[1])
                self.target_scale_ = np.ones(y2.shape[1])
        y = (y.reshape(len(y), -1) - self.target_mean_) / self.target_scale_
        return X, y.astype(np.float32)

    def predict(self, X):
        """Predicted targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or list of arrays
            Input as at fit: a table, spectra, images or waveforms (clips of
            any length as a list); a net that reads windows averages each
            clip's windows.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
            The targets, in their own units (1-D for a 1-D training target).
        """
        X = self._check_X(X)

        def outputs(X):
            return to_numpy(self.forward(X, training=False)).astype(np.float64)

        y = self._by_window(X, outputs) if self._predicts_by_window(X) else outputs(X)
        y = y * self.target_scale_ + self.target_mean_
        return y.ravel() if self.y_ndim_ == 1 else y

    @available_if(lambda self: False)
    def predict_proba(self, X):
        """Not available: a regressor has no probabilities (use :meth:`predict`)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
