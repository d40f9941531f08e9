"""The default recipe of the neural estimators, their internal validation and their threads."""

import warnings

import numpy as np
import pytest
import sklearn
import torch
from sklearn.model_selection import GroupKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from skorch.callbacks import Callback

from audiosk.datasets._folder import ClipPaths
from audiosk.model_selection import GroupLeakageWarning
from audiosk.nets import CNN, MLP, TDNN, NeuralClassifier, NeuralRegressor


class RecordSplit(Callback):
    """Remember the rows of the internal training and validation parts, and torch's threads."""

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        self.train_rows_ = np.asarray(getattr(dataset_train, "indices", range(len(dataset_train))))
        self.valid_rows_ = None if dataset_valid is None else np.asarray(dataset_valid.indices)
        self.threads_ = torch.get_num_threads()


def recorder(net):
    return next(cb for name, cb in net.callbacks_ if isinstance(cb, RecordSplit))


def grouped_table(n_groups=8, per_group=10, seed=0):
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(n_groups), per_group)
    y = np.tile(np.arange(2), n_groups * per_group // 2)
    X = rng.normal(size=(len(y), 4)).astype(np.float32) + y[:, None]
    return X, y, groups


def band_spectra(n=80, seed=0):
    """Spectra whose class is the band where bursts of energy come and go."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    S = rng.normal(size=(n, 16, 30)).astype(np.float32)
    S[y == 0, 2:5, ::3] += 2.0  # bursts of energy in one band or the other
    S[y == 1, 10:13, ::3] += 2.0
    return S, y


@pytest.mark.parametrize(("shape", "module"), [((5,), MLP), ((16, 30), TDNN), ((2, 16, 30), CNN)])
def test_auto_picks_the_architecture_and_recipe_from_the_input(shape, module):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, *shape)).astype(np.float32)
    y = np.arange(20) % 2
    net = NeuralClassifier(max_epochs=1, random_state=0).fit(X, y)
    assert type(net.module_) is module
    assert net.get_params()["module"] == "auto"  # fit does not change the parameters
    assert [type(a).__name__ for a in net.augment_] == (
        ["Mixup"] if len(shape) == 1 else ["SpecAugment", "Mixup"]
    )
    # a name still overrides, and "auto" epochs follow the input
    assert type(NeuralClassifier("mlp", max_epochs=1).fit(X, y).module_) is MLP
    assert net.max_epochs_ == 1  # an int max_epochs is kept as it is


def test_auto_epochs_are_100_for_tables_and_follow_the_data_for_spectra():
    X, y = band_spectra(n=20)
    table = NeuralClassifier(module__hidden_layer_sizes=(4,), random_state=0)
    assert len(table.fit(X[:, :, 0], y).history) == 100
    spectra = NeuralClassifier(
        module__channels=4, module__embedding=4, batch_size=8, window_length=None, random_state=0
    )
    # about 2000 optimiser steps: 2 batches of 8 per epoch give 1000 epochs, at most 400
    assert len(spectra.fit(X, y).history) == 400 == spectra.max_epochs_
    assert spectra.set_params(batch_size=2).fit(X, y).max_epochs_ == 200  # 10 steps an epoch
    assert spectra.set_params(max_epochs=3).fit(X, y).max_epochs_ == 3


def test_default_spectral_net_learns_unseen_clips():
    X, y = band_spectra(n=120)
    net = NeuralClassifier(random_state=0).fit(X[:80], y[:80])
    assert net.score(X[80:], y[80:]) >= 0.9


def test_the_default_table_net_needs_no_scaler():
    # features on wildly different scales: the net standardises them itself
    rng = np.random.default_rng(0)
    y = np.arange(120) % 2
    X = (rng.normal(size=(120, 4)) + 2.0 * y[:, None]) * np.array([1e4, 1e-3, 1.0, 50.0])
    net = NeuralClassifier(random_state=0).fit(X[:90], y[:90])
    assert net.score(X[90:], y[90:]) >= 0.9
    # the running statistics used at prediction are those of the training table
    norm = net.module_.input.norm
    np.testing.assert_allclose(norm.running_mean.numpy(), X[:90].mean(axis=0), rtol=0.05, atol=0.3)


def test_nothing_is_held_out_by_default():
    X, y, _ = grouped_table()
    net = NeuralClassifier(max_epochs=2, batch_size=16, callbacks=[RecordSplit()]).fit(X, y)
    assert recorder(net).valid_rows_ is None
    assert len(recorder(net).train_rows_) == 80
    assert net.history[-1, "train_batch_count"] == 5
    assert "valid_loss" not in net.history[-1]


@pytest.mark.parametrize(
    "params",
    [
        {"early_stopping": True},
        {"restore_best": True},
        {"lr_schedule": "plateau"},
        {"validation_fraction": 0.25},
    ],
)
def test_asking_for_validation_holds_out_data(params):
    X, y, _ = grouped_table()
    net = NeuralClassifier(max_epochs=2, callbacks=[RecordSplit()], random_state=0, **params)
    net.fit(X, y)
    fraction = params.get("validation_fraction", 0.2)
    assert len(recorder(net).valid_rows_) == round(80 * fraction)
    assert "valid_loss" in net.history[-1]


@pytest.mark.parametrize("estimator", [NeuralClassifier, NeuralRegressor])
def test_internal_split_keeps_groups_apart(estimator):
    X, y, groups = grouped_table(n_groups=10)
    net = estimator(
        max_epochs=1, validation_fraction=0.2, callbacks=[RecordSplit()], random_state=0
    )
    net.fit(X, y.astype(np.float32) if estimator is NeuralRegressor else y, groups=groups)
    train, valid = recorder(net).train_rows_, recorder(net).valid_rows_
    assert len(valid) > 0 and len(train) + len(valid) == len(y)
    assert set(groups[train]).isdisjoint(groups[valid])
    # without groups the same split mixes them (what the groups prevent)
    net.fit(X, y.astype(np.float32) if estimator is NeuralRegressor else y)
    train, valid = recorder(net).train_rows_, recorder(net).valid_rows_
    assert not set(groups[train]).isdisjoint(groups[valid])


def test_groups_reach_the_net_through_pipeline_and_cross_validate():
    X, y, groups = grouped_table(n_groups=12)
    pipe = make_pipeline(
        FunctionTransformer(),
        NeuralClassifier(max_epochs=1, early_stopping=True, callbacks=[RecordSplit()]),
    )
    result = cross_validate(
        pipe,
        X,
        y,
        groups=groups,
        cv=GroupKFold(3),
        params={"neuralclassifier__groups": groups},
        return_estimator=True,
        return_indices=True,
    )
    for fitted, rows in zip(result["estimator"], result["indices"]["train"], strict=True):
        rec = recorder(fitted[-1])
        fold_groups = groups[rows]
        assert set(fold_groups[rec.train_rows_]).isdisjoint(fold_groups[rec.valid_rows_])


def test_groups_reach_the_net_through_metadata_routing():
    X, y, groups = grouped_table(n_groups=12)
    with sklearn.config_context(enable_metadata_routing=True):
        net = NeuralClassifier(
            max_epochs=1, validation_fraction=0.25, callbacks=[RecordSplit()]
        ).set_fit_request(groups=True)
        pipe = make_pipeline(FunctionTransformer(), net)
        result = cross_validate(
            pipe,
            X,
            y,
            cv=GroupKFold(3),
            params={"groups": groups},
            return_estimator=True,
            return_indices=True,
        )
    for fitted, rows in zip(result["estimator"], result["indices"]["train"], strict=True):
        rec = recorder(fitted[-1])
        fold_groups = groups[rows]
        assert len(rec.valid_rows_) > 0
        assert set(fold_groups[rec.train_rows_]).isdisjoint(fold_groups[rec.valid_rows_])


def test_one_group_cannot_be_split():
    X, y, _ = grouped_table()
    with pytest.raises(ValueError, match="at least 2 groups"):
        NeuralClassifier(max_epochs=1, early_stopping=True).fit(X, y, groups=np.zeros(len(y)))


def test_data_carrying_groups_warns_when_the_split_ignores_them():
    X, y, groups = grouped_table()
    carried = ClipPaths(X, groups=groups, group_name="speaker")
    with pytest.warns(GroupLeakageWarning, match="speaker"):
        NeuralClassifier(max_epochs=1, early_stopping=True).fit(carried, y)
    with warnings.catch_warnings():  # nothing held out, or groups given: no warning
        warnings.simplefilter("error", GroupLeakageWarning)
        NeuralClassifier(max_epochs=1).fit(carried, y)
        NeuralClassifier(max_epochs=1, early_stopping=True).fit(carried, y, groups=groups)


def test_threads_are_set_while_training_and_restored_after():
    X, y, _ = grouped_table()
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        net = NeuralClassifier(max_epochs=1, callbacks=[RecordSplit()]).fit(X, y)
        assert recorder(net).threads_ == 1 and torch.get_num_threads() == 2
        net.set_params(n_threads=None).fit(X, y)
        assert recorder(net).threads_ == 2
        net.set_params(n_threads=3).fit(X, y)
        assert recorder(net).threads_ == 3 and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


class Started(Callback):
    """Fail if training starts."""

    def on_train_begin(self, net, **kwargs):
        raise AssertionError("training started with a bad parameter")


BAD_PARAMETERS = [
    # the ones the review found crashing deep inside or accepted without a word
    ({"batch_size": 0}, "'batch_size'"),
    ({"random_state": "a"}, "'random_state'"),
    ({"criterion": "bogus"}, "'criterion'"),
    ({"early_stopping": "yes"}, "'early_stopping'"),
    ({"max_epochs": True}, "'max_epochs'"),
    ({"verbose": -1}, "'verbose'"),
    ({"momentum": "high"}, "'momentum'"),
    ({"augment": "stretch"}, "TimeStretch needs a time axis; the data is a table"),
    ({"classes": [0]}, "needs at least 2 classes; classes lists 1 class"),
    # and the rest of the declared ones
    ({"validation_fraction": 1.5}, "'validation_fraction'"),
    ({"validation_fraction": 0}, "'validation_fraction'"),
    ({"max_epochs": 0}, "'max_epochs'"),
    ({"patience": 0}, "'patience'"),
    ({"n_threads": 0}, "'n_threads'"),
    ({"lr": -1.0}, "'lr'"),
    ({"weight_decay": -1.0}, "'weight_decay'"),
    ({"lr_schedule": "linear"}, "'lr_schedule'"),
    ({"lr_schedule": ("step", 4)}, "'lr_schedule'"),
    ({"module": "rnn"}, "'module'"),
    ({"optimizer": "adamax2"}, "'optimizer'"),
    ({"on_interrupt": "ignore"}, "'on_interrupt'"),
    ({"augment": "pitch"}, "'augment'"),
    ({"device": "tpu"}, "device='tpu'"),
]


@pytest.mark.parametrize(("params", "match"), BAD_PARAMETERS)
def test_parameters_are_checked_before_training(params, match):
    from sklearn.utils._param_validation import InvalidParameterError

    X, y, _ = grouped_table()
    with pytest.raises(InvalidParameterError, match=match):
        NeuralClassifier(callbacks=[Started()], **params).fit(X, y)


def test_bad_regressor_parameters_and_an_unavailable_device():
    from sklearn.utils._param_validation import InvalidParameterError

    X, y, _ = grouped_table()
    with pytest.raises(InvalidParameterError, match="'standardize_target'"):
        NeuralRegressor(standardize_target="no").fit(X, y.astype(float))
    if not torch.cuda.is_available():
        with pytest.raises(InvalidParameterError, match="CUDA, which this machine does not have"):
            NeuralClassifier(device="cuda").fit(X, y)


def test_too_few_samples_are_refused():
    with pytest.raises(ValueError, match="n_samples=1"):
        NeuralRegressor().fit(np.zeros((1, 3)), [1.0])


def test_classes_are_honoured():
    X, y, _ = grouped_table()
    labels = np.array(["a", "b"])[y]
    net = NeuralClassifier(max_epochs=1, classes=["a", "b", "c"]).fit(X, labels)
    assert net.classes_.tolist() == ["a", "b", "c"] and net.predict_proba(X).shape == (80, 3)
    with pytest.raises(ValueError, match=r"\['b'\] not in classes"):
        NeuralClassifier(max_epochs=1, classes=["a", "c"]).fit(X, labels)
    partial = NeuralClassifier(max_epochs=1).partial_fit(
        X[y == 0], labels[y == 0], classes=["a", "b"]
    )
    assert partial.classes_.tolist() == ["a", "b"]
    partial.partial_fit(X, labels)  # the second class arrives later


def recorder_of(net, kind):
    return next(cb for _, cb in net.callbacks_ if isinstance(cb, kind))


def test_tdnn_reads_any_length_and_ignores_a_channel_colour():
    torch.manual_seed(0)
    net = TDNN((8, 20), 3, center_per_clip=True).eval()
    X = torch.randn(4, 8, 20)
    colour = 6.0 * torch.randn(1, 8, 1)  # a fixed gain per bin, in dB: microphone or voice
    torch.testing.assert_close(net(X + colour), net(X), atol=1e-5, rtol=1e-5)
    assert net(torch.randn(4, 8, 57)).shape == (4, 3)
    plain = TDNN((8, 20), 3, center_per_clip=False).eval()
    assert not torch.allclose(plain(X + colour), plain(X), atol=1e-3)
    stacked = TDNN((2, 8, 20), 3).eval()  # channels' bins are stacked
    assert stacked(torch.randn(4, 2, 8, 20)).shape == (4, 3)
    with pytest.raises(ValueError, match="Tables go to the 'mlp'"):
        TDNN((8,), 3)


def test_weights_alone_reload_into_a_net_built_in_code(tmp_path):
    # the safe route of the README: no pickle, the weights read with weights_only=True
    X, y, _ = grouped_table()
    labels = np.array(["no", "yes"])[y]
    net = NeuralClassifier(max_epochs=3, random_state=0).fit(X, labels)
    net.save_params(f_params=tmp_path / "net.pt")
    built = NeuralClassifier(
        module__input_shape=(4,), module__n_outputs=2, classes=["no", "yes"]
    ).initialize()
    built.load_params(f_params=tmp_path / "net.pt")
    np.testing.assert_allclose(built.predict_proba(X), net.predict_proba(X), rtol=1e-6)
    assert built.predict(X).tolist() == net.predict(X).tolist()


def test_regression_targets_are_standardised_for_training():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    y = 300 + 50 * (X @ np.array([1.0, -1.0, 0.5, 0.0]))  # far from zero, wide
    net = NeuralRegressor(random_state=0).fit(X[:150], y[:150])
    np.testing.assert_allclose(net.target_mean_, [y[:150].mean()])
    np.testing.assert_allclose(net.target_scale_, [y[:150].std()])
    assert net.score(X[150:], y[150:]) > 0.9
    raw = NeuralRegressor(standardize_target=False, random_state=0).fit(X[:150], y[:150])
    assert raw.score(X[150:], y[150:]) < 0.5  # what the standardisation is for
    two = NeuralRegressor(max_epochs=2, random_state=0).fit(X, np.c_[y, -y / 100])
    assert two.predict(X).shape == (200, 2) and two.target_mean_.shape == (2,)


def fit_proba(seed, X, y, **params):
    net = NeuralClassifier(
        module__dropout=0.3, max_epochs=4, batch_size=16, random_state=seed, **params
    )
    return net.fit(X, y).predict_proba(X)


def test_a_seed_gives_one_model_alone_or_in_threads():
    """The net draws from a generator it owns: threads fitting at once do not share a stream."""
    from concurrent.futures import ThreadPoolExecutor

    X, y, _ = grouped_table()
    alone = fit_proba(0, X, y)
    other = fit_proba(1, X, y)
    with ThreadPoolExecutor(2) as pool:  # the same seed twice, and two seeds, at once
        same = list(pool.map(lambda s: fit_proba(s, X, y), [0, 0]))
        mixed = list(pool.map(lambda s: fit_proba(s, X, y), [0, 1]))
    for proba in (*same, mixed[0]):
        np.testing.assert_allclose(proba, alone, rtol=0, atol=1e-6)
    np.testing.assert_allclose(mixed[1], other, rtol=0, atol=1e-6)
    assert np.abs(alone - other).max() > 0.01  # the seed matters


def _fit_proba_in_process(seed):
    X, y, _ = grouped_table()
    return fit_proba(seed, X, y)


def test_a_seed_gives_one_model_in_worker_processes():
    """The same seed gives the same model in this process and in two worker processes."""
    from joblib import Parallel, delayed

    X, y, _ = grouped_table()
    alone = fit_proba(0, X, y)
    workers = Parallel(n_jobs=2, backend="loky")(delayed(_fit_proba_in_process)(s) for s in (0, 0))
    for proba in workers:
        np.testing.assert_allclose(proba, alone, rtol=0, atol=1e-6)


class _NoisyModule(torch.nn.Module):
    """A module of the user's own: its noise comes from torch's global generator."""

    def __init__(self, input_shape, n_outputs):
        super().__init__()
        self.linear = torch.nn.Linear(input_shape[0], n_outputs)

    def forward(self, X):
        return self.linear(X + 0.5 * torch.randn_like(X) if self.training else X)


def test_steps_of_audiosk_modules_do_not_take_the_global_generator(monkeypatch):
    """audiosk's modules draw from the net's generator: no process-wide lock per step.

    A module of another origin runs each step on torch's global generator,
    seeded from the net's (one lock per step), and is reproducible too.
    """
    from audiosk.nets import _runtime

    calls = []
    original = _runtime._global_rng_from
    monkeypatch.setattr(_runtime, "_global_rng_from", lambda *a: calls.append(1) or original(*a))
    X, y, _ = grouped_table()
    net = NeuralClassifier(max_epochs=3, batch_size=16, random_state=0).fit(X, y)
    steps = int(sum(net.history[:, "train_batch_count"]))
    assert steps >= 9 and len(calls) == 1  # module initialisation only
    calls.clear()
    own = [
        NeuralClassifier(_NoisyModule, max_epochs=2, batch_size=16, random_state=0, augment=None)
        .fit(X, y)
        .predict_proba(X)
        for _ in range(2)
    ]
    assert len(calls) == 2 * (1 + int(sum(net.history[:2, "train_batch_count"])))
    np.testing.assert_allclose(own[0], own[1], atol=1e-6)


def test_a_custom_collate_function_is_shuffled_by_the_nets_seed():
    """skorch's DataLoader (a custom collate_fn) shuffles with a generator from the net's seed."""
    from torch.utils.data import default_collate

    X, y, _ = grouped_table()

    def fit(global_seed):
        torch.manual_seed(global_seed)  # torch's global generator must not decide the order
        net = NeuralClassifier(
            max_epochs=2,
            batch_size=16,
            random_state=0,
            iterator_train__collate_fn=default_collate,
            iterator_train__shuffle=True,
        )
        return net.fit(X, y).predict_proba(X)

    np.testing.assert_allclose(fit(0), fit(1), rtol=0, atol=1e-6)


def test_fit_leaves_torch_global_generator_alone():
    X, y, _ = grouped_table()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    fit_proba(0, X, y)
    np.testing.assert_array_equal(torch.rand(3).numpy(), expected.numpy())


def test_random_state_none_records_the_seed_it_drew():
    X, y, _ = grouped_table()
    net = NeuralClassifier(max_epochs=2).fit(X, y)
    again = NeuralClassifier(max_epochs=2, random_state=net.random_seed_).fit(X, y)
    np.testing.assert_allclose(again.predict_proba(X), net.predict_proba(X), atol=1e-6)
    rs = np.random.RandomState(0)
    assert NeuralClassifier(max_epochs=1, random_state=rs).fit(X, y).random_seed_ == (
        np.random.RandomState(0).randint(np.iinfo(np.int32).max)
    )


class Interrupt(Callback):
    """Press Ctrl-C during the second epoch."""

    def on_batch_end(self, net, **kwargs):
        if len(net.history) == 2:
            raise KeyboardInterrupt


class TrainEnd(Callback):
    def on_train_end(self, net, **kwargs):
        self.ended_ = True


def test_ctrl_c_stops_the_caller_by_default():
    from sklearn.model_selection import cross_val_score

    X, y, _ = grouped_table()
    net = NeuralClassifier(max_epochs=5, callbacks=[Interrupt(), TrainEnd()], random_state=0)
    with pytest.raises(KeyboardInterrupt):
        net.fit(X, y)
    assert recorder_of(net, TrainEnd).ended_  # skorch's on_train_end ran first
    assert len(net.history) == 2
    with pytest.raises(KeyboardInterrupt):  # a cross-validation stops at its first fit
        cross_val_score(net, X, y, cv=3, error_score="raise")
    with pytest.raises(KeyboardInterrupt):
        cross_val_score(net, X, y, cv=3, error_score=np.nan)  # not turned into a score
    # skorch's stop-and-keep is an opt-in
    kept = net.set_params(on_interrupt="stop").fit(X, y)
    assert len(kept.history) == 2 and kept.predict(X).shape == (80,)


def test_early_stopping_is_not_an_interruption():
    X, y, _ = grouped_table()
    y_noise = np.random.default_rng(1).permutation(y)
    net = NeuralClassifier(
        module__hidden_layer_sizes=(64, 64),
        lr=0.05,
        max_epochs=200,
        early_stopping=True,
        patience=2,
        random_state=0,
    ).fit(X, y_noise)
    assert len(net.history) < 200


@pytest.mark.parametrize("container", ["ndarray", "WaveformArray", "Waveforms", "DiskArray"])
def test_integer_pcm_is_scaled_alike_in_every_container(container, tmp_path):
    from audiosk.containers import DiskArray, WaveformArray, Waveforms

    rng = np.random.default_rng(0)
    y = np.arange(40) % 2
    t = np.arange(400) / 8000
    floats = np.stack(
        [0.5 * np.sin(2 * np.pi * (300 + 400 * c) * t) + 0.05 * rng.normal(size=400) for c in y]
    )
    pcm = np.round(floats * 32767).astype(np.int16)

    def wrap(a):
        if container == "WaveformArray":
            return WaveformArray(a, sr=8000)
        if container == "Waveforms":
            return Waveforms(list(a), sr=8000)
        if container == "DiskArray":
            path = tmp_path / f"{a.dtype}.npy"
            np.save(path, a)
            return DiskArray(path)
        return a

    params = dict(max_epochs=3, augment=None, random_state=0)
    from_float = NeuralClassifier(**params).fit(wrap((pcm / 32768).astype(np.float32)), y)
    from_int = NeuralClassifier(**params).fit(wrap(pcm), y)
    expected = from_float.predict_proba(wrap((pcm / 32768).astype(np.float32)))
    np.testing.assert_allclose(from_int.predict_proba(wrap(pcm)), expected, atol=1e-5)
    np.testing.assert_allclose(from_float.predict_proba(wrap(pcm)), expected, atol=1e-5)


def test_the_leakage_warnings_the_guide_documents():
    """docs/user_guide/model_selection.md: where audiosk warns, and where it cannot."""
    from sklearn.dummy import DummyClassifier
    from sklearn.model_selection import KFold, cross_val_score

    from audiosk.model_selection import compare

    X, y, groups = grouped_table()
    carried = ClipPaths(X, groups=groups, group_name="speaker")
    with pytest.warns(GroupLeakageWarning, match="speaker"):  # compare, no groups=
        compare({"dummy": DummyClassifier()}, carried, y, cv=2)
    with pytest.warns(GroupLeakageWarning, match="KFold ignores them"):
        compare({"dummy": DummyClassifier()}, X, y, cv=KFold(2), groups=groups)
    with pytest.warns(GroupLeakageWarning, match="speaker"):  # a net on the carrier
        NeuralClassifier(max_epochs=1, validation_fraction=0.2).fit(carried, y)
    with warnings.catch_warnings():  # the cases the guide says cannot warn
        warnings.simplefilter("error", GroupLeakageWarning)
        cross_val_score(DummyClassifier(), carried, y, cv=KFold(2))
        pipe = make_pipeline(
            FunctionTransformer(np.asarray), NeuralClassifier(max_epochs=1, early_stopping=True)
        )
        pipe.fit(carried, y)
