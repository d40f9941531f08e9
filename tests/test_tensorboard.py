"""The TensorBoard callback of the nets."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification

from audiosk.nets import NeuralClassifier, TensorBoardLogger


def test_tensorboard_logger_writes_losses(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    X, y = make_classification(n_samples=40, random_state=0)
    net = NeuralClassifier(max_epochs=3, callbacks=[TensorBoardLogger(tmp_path)]).fit(X, y)
    clone(net)
    events = EventAccumulator(str(tmp_path))
    events.Reload()
    assert "Loss/train_loss" in events.Tags()["scalars"]
    values = [e.value for e in events.Scalars("Loss/train_loss")]
    np.testing.assert_allclose(values, net.history[:, "train_loss"], rtol=1e-5)
