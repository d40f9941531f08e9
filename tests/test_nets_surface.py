"""The nets' skorch surface: the overrides pinned with their reasons, the repr, fit's path."""

import inspect

import numpy as np
import pytest
import sklearn
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch import NeuralNet, NeuralNetClassifier, NeuralNetRegressor
from skorch.dataset import ValidSplit

from audiosk.nets import NeuralClassifier, NeuralRegressor
from audiosk.nets._base import SKORCH_OVERRIDES
from audiosk.utils._sklearn_compat import InvalidParameterError


def overridden(net_class, skorch_class):
    """Names of skorch's methods and properties that an audiosk class of ``net_class`` redefines."""
    names = set()
    for klass in net_class.__mro__:
        if not klass.__module__.startswith("audiosk"):
            continue
        for name, member in vars(klass).items():
            generated = name.startswith("set_") and name.endswith("_request")  # metadata routing
            dunder = name.startswith("__") and name not in ("__init__", "__repr__", "__setstate__")
            if generated or dunder or not hasattr(skorch_class, name):
                continue
            if callable(member) or hasattr(member, "__get__"):  # methods, properties, available_if
                names.add(name)
    return names


@pytest.mark.parametrize(
    ("net", "base"),
    [(NeuralClassifier, NeuralNetClassifier), (NeuralRegressor, NeuralNetRegressor)],
)
def test_every_skorch_override_is_listed_with_its_reason(net, base):
    found = overridden(net, base)
    assert found <= set(SKORCH_OVERRIDES), (
        f"list these in SKORCH_OVERRIDES: {found - set(SKORCH_OVERRIDES)}"
    )
    task_only = {"classes_"} if net is NeuralRegressor else set()
    assert set(SKORCH_OVERRIDES) - task_only <= found, "SKORCH_OVERRIDES lists what is gone"
    assert all(isinstance(r, str) and len(r) > 20 for r in SKORCH_OVERRIDES.values())
    assert all(hasattr(NeuralNet, n) or n == "classes_" for n in SKORCH_OVERRIDES)


def test_the_repr_shows_what_a_user_set_also_inside_a_pipeline():
    assert repr(NeuralClassifier()) == "NeuralClassifier()"
    net = NeuralClassifier(lr=0.01, module__hidden_layer_sizes=(8,), random_state=0)
    assert repr(net) == "NeuralClassifier(lr=0.01, module__hidden_layer_sizes=(8,), random_state=0)"
    text = repr(make_pipeline(StandardScaler(), net))
    for internal in ("dataset=", "iterator_train=", "compile=", "use_caching=", "classes="):
        assert internal not in text
    X = np.random.default_rng(0).normal(size=(20, 4)).astype(np.float32)
    fitted = NeuralRegressor(max_epochs=1).fit(X, X[:, 0])
    assert repr(fitted) == "NeuralRegressor(max_epochs=1)"  # fitted state is not a parameter


@pytest.mark.parametrize("net", [NeuralClassifier, NeuralRegressor])
def test_every_skorch_parameter_has_its_default_in_the_signature(net):
    ours = inspect.signature(net).parameters
    theirs = inspect.signature(NeuralNet.__init__).parameters
    shared = set(theirs) - {"self", "module", "kwargs", "criterion", "optimizer", "lr"}
    shared -= {"max_epochs", "batch_size", "train_split", "callbacks", "verbose", "device"}
    for name in shared:  # the ones audiosk leaves as skorch sets them
        assert (
            ours[name].default is theirs[name].default or ours[name].default == theirs[name].default
        )


def test_fit_runs_skorch_fit_path_under_metadata_routing(monkeypatch):
    calls = []
    original = NeuralNetClassifier.partial_fit

    def spy(self, X, y=None, classes=None, **fit_params):
        calls.append(fit_params.get("_routing_method", "partial_fit"))
        return original(self, X, y, classes=classes, **fit_params)

    monkeypatch.setattr(NeuralNetClassifier, "partial_fit", spy)
    X = np.random.default_rng(0).normal(size=(40, 4)).astype(np.float32)
    y, groups = np.arange(40) % 2, np.repeat(np.arange(8), 5)
    with sklearn.config_context(enable_metadata_routing=True):
        net = NeuralClassifier(max_epochs=1, validation_fraction=0.25).set_fit_request(groups=True)
        make_pipeline(StandardScaler(), net).fit(X, y, groups=groups)
        net.partial_fit(X, y)
    assert calls == ["fit", "partial_fit"]


def test_a_train_split_of_the_user_gets_the_groups():
    X = np.random.default_rng(0).normal(size=(40, 4)).astype(np.float32)
    y, groups = np.arange(40) % 2, np.repeat(np.arange(8), 5)
    seen = []

    class Spy(ValidSplit):
        def __call__(self, dataset, y=None, groups=None):
            seen.append(groups)
            return super().__call__(dataset, y, groups=groups)

    NeuralClassifier(max_epochs=1, train_split=Spy(GroupKFold(4))).fit(X, y, groups=groups)
    np.testing.assert_array_equal(seen[0], groups)


def test_train_split_and_validation_fraction_are_not_both_taken():
    X = np.zeros((10, 2), np.float32)
    net = NeuralClassifier(train_split=ValidSplit(5), validation_fraction=0.2)
    with pytest.raises(InvalidParameterError, match="both train_split and validation_fraction"):
        net.fit(X, np.arange(10) % 2)


def test_parameters_are_checked_whenever_the_net_is_initialised():
    net = NeuralClassifier(patience=0, module__input_shape=(3,), module__n_outputs=2)
    with pytest.raises(InvalidParameterError, match="'patience'"):
        net.initialize()
    # and building its callbacks (get_params) reads no parameter, whatever was set
    bad = NeuralClassifier(lr_schedule="helloworld", patience="x", early_stopping="yes")
    assert "callbacks__lr_scheduler" in bad.get_params(deep=True)
