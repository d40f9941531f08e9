"""Neural estimators: architectures, training options, searches, persistence, workflows."""

import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV, GroupKFold, RandomizedSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline

from audiosk.features import Flatten, MelSpectrogram, SpectrogramScaler
from audiosk.nets import CNN, MLP, NeuralClassifier, NeuralRegressor
from audiosk.preprocessing import PadTrim

from ._helpers import audio_pipeline

SR = 8000


def blobs(n=90, d=6, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(["low", "mid", "high"], n // 3)
    centres = {"low": -2.0, "mid": 0.0, "high": 2.0}
    X = rng.normal(size=(n, d)) + np.array([centres[c] for c in y])[:, None]
    return X, y


def test_mlp_options_build_the_layers():
    net = MLP(
        (10,),
        3,
        hidden_layer_sizes=(8, 4),
        activation="leaky_relu",
        batch_norm=True,
        dropout=[0.1, 0.2],
        init="glorot_uniform",
    )
    kinds = [type(m).__name__ for m in net.layers]
    assert kinds == [
        "Linear",
        "BatchNorm1d",
        "LeakyReLU",
        "Dropout",
        "Linear",
        "BatchNorm1d",
        "LeakyReLU",
        "Dropout",
        "Linear",
    ]
    assert [m.p for m in net.layers if isinstance(m, torch.nn.Dropout)] == [0.1, 0.2]
    assert torch.all(net.layers[0].bias == 0)  # glorot init zeroes the biases
    with pytest.raises(ValueError, match="2 values for 1 layers"):
        MLP((10,), 2, hidden_layer_sizes=(8,), dropout=[0.1, 0.2])


@pytest.mark.parametrize("shape", [(16, 20), (3, 32, 32)])
@pytest.mark.parametrize("head", ["global", "flatten"])
def test_cnn_shapes_and_options(shape, head):
    net = CNN(
        shape,
        4,
        n_blocks=3,
        channels=4,
        kernel_size=[3, 5, 3],
        stride=1,
        pooling="avg",
        activation="sigmoid",
        head=head,
        dense=8,
        dropout=0.1,
    )
    assert net(torch.zeros(2, *shape)).shape == (2, 4)
    convs = [m for m in net.features if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [4, 8, 16] and [c.kernel_size for c in convs] == [
        (3, 3),
        (5, 5),
        (3, 3),
    ]
    strided = CNN(shape, 2, n_blocks=2, channels=(4, 4), stride=2, pooling="none")
    assert strided(torch.zeros(1, *shape)).shape == (1, 2)


def test_classifier_string_labels_sizes_and_history():
    X, y = blobs()
    clf = NeuralClassifier(
        module__hidden_layer_sizes=(16,),
        lr=0.02,
        max_epochs=15,
        validation_fraction=0.2,
        random_state=0,
    )
    clf.fit(X.astype(np.float64), y)
    assert clf.classes_.tolist() == ["high", "low", "mid"]
    assert clf.input_shape_ == (6,) and clf.n_outputs_ == 3 and clf.n_features_in_ == 6
    assert set(clf.predict(X)) <= set(y) and clf.score(X, y) > 0.9
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1, rtol=1e-5)
    h = clf.history
    assert len(h) == 15
    for key in ("train_loss", "valid_loss", "train_acc", "valid_acc"):
        assert len(h[:, key]) == 15
    assert h[-1, "train_loss"] < h[0, "train_loss"]


def test_verbose_prints_one_row_per_epoch(capsys):
    X, y = blobs()
    NeuralClassifier(max_epochs=3, verbose=1, validation_fraction=0.2, random_state=0).fit(X, y)
    out = capsys.readouterr().out
    assert "valid_loss" in out.splitlines()[0] and len(out.strip().splitlines()) == 2 + 3


def test_random_state_gives_identical_models():
    X, y = blobs()
    make = lambda: NeuralClassifier(module__dropout=0.3, max_epochs=5, random_state=3).fit(X, y)  # noqa: E731
    a, b = make(), make()
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.history[:, "train_loss"] == b.history[:, "train_loss"]
    c = NeuralClassifier(module__dropout=0.3, max_epochs=5, random_state=4).fit(X, y)
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd", "rmsprop", torch.optim.Adagrad])
def test_optimizers_by_name(optimizer):
    X, y = blobs()
    clf = NeuralClassifier(
        optimizer=optimizer, weight_decay=1e-4, lr=0.01, max_epochs=2, random_state=0
    ).fit(X, y)
    opt = clf.optimizer_
    expected = {
        "adam": torch.optim.Adam,
        "adamw": torch.optim.AdamW,
        "sgd": torch.optim.SGD,
        "rmsprop": torch.optim.RMSprop,
    }.get(optimizer, optimizer)
    assert type(opt) is expected
    assert opt.param_groups[0]["weight_decay"] == 1e-4
    if optimizer == "sgd":
        assert opt.param_groups[0]["momentum"] == 0.9


def test_early_stopping_stops_and_restores_best():
    X, y = blobs(n=60)
    rng = np.random.default_rng(1)
    y_noise = rng.permutation(y)  # unlearnable: validation loss rises quickly
    clf = NeuralClassifier(
        module__hidden_layer_sizes=(64, 64),
        lr=0.05,
        max_epochs=200,
        early_stopping=True,
        patience=3,
        random_state=0,
        # the best epoch's statistics as they were (a short training otherwise refreshes them)
        callbacks__refresh_batch_norm=None,
    )
    clf.fit(X, y_noise)
    losses = clf.history[:, "valid_loss"]
    assert len(losses) < 200
    best = int(np.argmin(losses))
    assert len(losses) - 1 - best == 3  # stopped `patience` epochs after the best
    # the restored weights give the best epoch's validation loss
    ds_train, ds_valid = clf.get_split_datasets(*clf._prepare(X, y_noise, reset=False))
    proba = clf.predict_proba(ds_valid)
    y_valid = np.array([ds_valid[i][1] for i in range(len(ds_valid))])
    loss = -np.mean(np.log(proba[np.arange(len(y_valid)), y_valid]))
    assert loss == pytest.approx(losses[best], rel=1e-4)


def test_restore_best_without_stopping():
    X, y = blobs(n=60)
    y_noise = np.random.default_rng(1).permutation(y)
    clf = NeuralClassifier(
        module__hidden_layer_sizes=(64,), lr=0.05, max_epochs=25, restore_best=True, random_state=0
    ).fit(X, y_noise)
    assert len(clf.history) == 25  # never stops
    best = dict(clf.callbacks_)["best_weights"].stopper_
    assert type(best).__name__ == "EarlyStopping" and best.load_best and best.patience == np.inf
    assert best.best_epoch_ == 1 + int(np.argmin(clf.history[:, "valid_loss"]))


def test_lr_schedules():
    X, y = blobs()

    def lrs(schedule):
        clf = NeuralClassifier(
            optimizer="sgd", lr=0.1, max_epochs=5, lr_schedule=schedule, random_state=0
        ).fit(X, y)
        return clf, clf.history[:, "event_lr"]

    _, step = lrs(("step", {"step_size": 2}))
    np.testing.assert_allclose(step, [0.1, 0.1, 0.01, 0.01, 0.001])
    _, cosine = lrs("cosine")
    assert cosine[0] == pytest.approx(0.1) and np.all(np.diff(cosine) < 0) and cosine[-1] < 0.02
    plateau, _ = lrs("plateau")
    scheduler = dict(plateau.callbacks_)["lr_scheduler"].scheduler_
    assert (
        type(scheduler.lr_scheduler_).__name__ == "ReduceLROnPlateau"
        and scheduler.monitor == "valid_loss"
    )


def test_regressor_one_and_two_targets():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    y = X @ np.array([1.0, -1.0, 0.5, 0.0])
    reg = NeuralRegressor(
        module__hidden_layer_sizes=(32,), lr=0.01, max_epochs=80, random_state=0
    ).fit(X, y)
    assert reg.predict(X).shape == (120,) and reg.score(X, y) > 0.9
    assert not hasattr(reg, "predict_proba")
    # nothing held out by default: no validation scores, every row in a training batch
    assert "train_r2" in reg.history[-1] and "valid_r2" not in reg.history[-1]
    assert reg.history[-1, "train_batch_count"] == 4  # 120 rows in batches of 32
    Y = np.c_[y, -y]
    reg2 = NeuralRegressor(module__hidden_layer_sizes=(32,), max_epochs=2, random_state=0).fit(X, Y)
    assert reg2.predict(X).shape == (120, 2) and reg2.n_outputs_ == 2


def test_cnn_classifier_on_spectra_and_images():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 20)
    S = rng.normal(size=(40, 16, 12)).astype(np.float32)
    S[y == 1, :4] += 2.0
    clf = NeuralClassifier(
        "cnn", module__channels=4, module__n_blocks=2, lr=0.01, max_epochs=10, random_state=0
    ).fit(S, y)
    assert clf.input_shape_ == (16, 12) and clf.score(S, y) > 0.8
    images = np.repeat(S[:, None], 3, axis=1)
    NeuralClassifier("cnn", module__channels=4, module__n_blocks=2, max_epochs=1).fit(images, y)


def test_unknown_names_are_reported():
    X, y = blobs()
    with pytest.raises(
        ValueError, match="'module' parameter of NeuralClassifier must be a str among"
    ):
        NeuralClassifier("rnn").fit(X, y)
    with pytest.raises(ValueError, match="'optimizer' parameter .* Got 'adamax2'"):
        NeuralClassifier(optimizer="adamax2", max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="Unknown activation"):
        NeuralClassifier(module__activation="swish2", max_epochs=1).fit(X, y)


def test_fit_and_predict_never_assign_a_parameter():
    """get_params() is the same before, during (a callback, another thread) and after fit."""
    import threading

    from sklearn.base import clone
    from skorch.callbacks import Callback

    during, polled, stop = [], [], threading.Event()

    class Spy(Callback):
        def on_epoch_end(self, net, **kwargs):
            during.append((net.get_params(deep=False), net.device))

    X, y = blobs()
    clf = NeuralClassifier(max_epochs=3, callbacks=[Spy()], random_state=0)
    before = clf.get_params(deep=False)

    def poll():
        while not stop.is_set():
            polled.append(clf.get_params(deep=False))

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        clf.fit(X, y)
        clf.predict_proba(X)
    finally:
        stop.set()
        poller.join()
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert len(during) == 3 and polled
    for params in [p for p, _ in during] + polled + [clf.get_params(deep=False)]:
        assert params.keys() == before.keys(), set(params) ^ set(before)
        assert all(params[k] is before[k] for k in before), [
            k for k in before if params[k] is not before[k]
        ]
    assert before["device"] == before["module"] == before["augment"] == "auto"
    # what was resolved is in fitted attributes; skorch reads the resolved device
    assert {d for _, d in during} == {expected} and clf.device_ == expected
    assert (clf.recipe_, clf.max_epochs_, type(clf.module_).__name__) == ("table", 3, "MLP")
    assert next(clf.module_.parameters()).device.type == expected
    assert clone(clf).get_params()["device"] == "auto"
    clf.set_params(callbacks=None).initialize_callbacks()  # the local Spy class cannot pickle
    restored = pickle.loads(pickle.dumps(clf))
    assert restored.get_params()["device"] == "auto" and restored.device_ == expected
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


def test_a_deep_get_params_set_params_round_trip_works():
    X, y = blobs()
    for params in ({}, {"validation_fraction": 0.2}, {"early_stopping": True}):
        net = NeuralClassifier(max_epochs=2, random_state=0, **params)
        deep = net.get_params(deep=True)
        assert "callbacks__train_acc" in deep
        assert ("callbacks__valid_acc" in deep) == bool(params)
        net.set_params(**deep).fit(X, y)
        fitted = net.get_params(deep=True)
        clone_of = NeuralClassifier(max_epochs=2, random_state=0, **params)
        clone_of.set_params(**fitted).fit(X, y)
        np.testing.assert_allclose(clone_of.predict_proba(X), net.predict_proba(X), atol=1e-6)


def test_set_params_defers_callbacks_to_fit():
    """Parameter checks happen at fit: set_params accepts anything (scikit-learn's convention)."""
    net = NeuralClassifier()
    for value in (-np.inf, np.inf, None):
        net.set_params(callbacks=value)
        assert net.get_params()["callbacks"] is value
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="'callbacks'"):
        net.set_params(callbacks=np.inf).fit(*blobs())


@pytest.mark.slow
def test_cross_val_score_with_groups_on_the_full_audio_pipeline(tone_files):
    paths, labels, groups = tone_files
    scores = cross_val_score(
        audio_pipeline(), paths, labels, groups=groups, cv=GroupKFold(3), n_jobs=2
    )
    assert scores.shape == (3,) and scores.mean() > 0.8


@pytest.mark.slow
def test_grid_search_over_pca_lr_and_hidden_sizes(tone_files):
    paths, labels, groups = tone_files
    grid = GridSearchCV(
        audio_pipeline(max_epochs=12),
        {
            "pca__n_components": [5, 10],
            "neuralclassifier__lr": [1e-3, 1e-2],
            "neuralclassifier__module__hidden_layer_sizes": [(16,), (32, 16)],
        },
        cv=GroupKFold(2),
        n_jobs=2,
    )
    grid.fit(paths, labels, groups=groups)
    assert len(grid.cv_results_["params"]) == 8
    best = grid.best_estimator_[-1]
    assert best.input_shape_ == (grid.best_params_["pca__n_components"],)
    assert grid.score(paths, labels) > 0.8


def test_randomized_and_bayes_search(tone_files):
    skopt = pytest.importorskip("skopt")
    from scipy.stats import loguniform
    from skopt.space import Categorical, Integer, Real

    paths, labels, groups = tone_files
    rand = RandomizedSearchCV(
        audio_pipeline(max_epochs=3),
        {"neuralclassifier__lr": loguniform(1e-4, 5e-3)},
        n_iter=2,
        cv=2,
        random_state=0,
        n_jobs=2,
    ).fit(paths, labels)
    # every candidate trained and scored, and the refitted net holds the chosen rate
    assert np.isfinite(rand.cv_results_["mean_test_score"]).all()
    assert rand.best_estimator_[-1].lr == rand.best_params_["neuralclassifier__lr"]
    bayes = skopt.BayesSearchCV(
        audio_pipeline(max_epochs=3),
        {
            "neuralclassifier__lr": Real(1e-4, 5e-3, prior="log-uniform"),
            "neuralclassifier__batch_size": Integer(16, 128),
            # skopt cannot sample tuples: sizes are given as "32-16" strings
            "neuralclassifier__module__hidden_layer_sizes": Categorical(["16", "32-16"]),
        },
        n_iter=3,
        cv=GroupKFold(2),
        n_jobs=2,
        random_state=0,
    )
    bayes.fit(paths, labels, groups=groups)
    assert np.isfinite(bayes.cv_results_["mean_test_score"]).all()
    best, chosen = bayes.best_estimator_[-1], bayes.best_params_
    assert best.batch_size == chosen["neuralclassifier__batch_size"]
    # the "32-16" string became the hidden layers of the module (the last Linear is the output)
    widths = [m.out_features for m in best.module_.modules() if isinstance(m, torch.nn.Linear)]
    hidden = [int(w) for w in chosen["neuralclassifier__module__hidden_layer_sizes"].split("-")]
    assert widths[:-1] == hidden


def test_pickle_and_joblib_round_trips_predict_identically(tone_files, tmp_path):
    paths, labels, _ = tone_files
    pipe = audio_pipeline().fit(paths, labels)
    features = pipe[:-1].transform(paths)
    expected, expected_labels = pipe.predict_proba(paths), pipe.predict(paths)
    joblib.dump(pipe, tmp_path / "model.joblib")
    for restored in (pickle.loads(pickle.dumps(pipe)), joblib.load(tmp_path / "model.joblib")):
        np.testing.assert_array_equal(restored.predict(paths), expected_labels)
        # the net itself is bit-identical on the same features ...
        np.testing.assert_array_equal(
            restored[-1].predict_proba(features), pipe[-1].predict_proba(features)
        )
        # ... while PCA's components_ come back C-contiguous from a pickle, which
        # changes BLAS summation order in the last float32 bit
        np.testing.assert_allclose(restored.predict_proba(paths), expected, rtol=1e-5, atol=1e-7)
        assert restored[-1].get_params()["device"] == "auto"


def test_model_saved_on_cuda_loads_on_cpu(monkeypatch):
    """A net pickled with device='cuda' loads on a CPU-only machine (skorch maps the weights)."""
    X, y = blobs()
    clf = NeuralClassifier(device="cpu", max_epochs=2, random_state=0).fit(X, y)
    state = clf.__getstate__()
    state["device"] = "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    restored = NeuralClassifier.__new__(NeuralClassifier)
    with pytest.warns(UserWarning, match="cuda"):
        restored.__setstate__(pickle.loads(pickle.dumps(state)))
    assert str(restored.device) == "cpu"
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


def test_workflow1_mel_mlp_regressor_under_bayes_search():
    skopt = pytest.importorskip("skopt")
    from skopt.space import Integer, Real

    rng = np.random.default_rng(0)
    n = 48
    valence = rng.uniform(-1, 1, n)
    t = np.arange(SR // 2) / SR
    X = np.stack(
        [np.sin(2 * np.pi * (400 + 300 * v) * t) + 0.05 * rng.normal(size=t.size) for v in valence]
    ).astype(np.float32)
    pipe = make_pipeline(
        MelSpectrogram(sr=SR, n_mels=32, n_fft=512, hop_length=256, db=True),
        SpectrogramScaler(),
        Flatten(),
        NeuralRegressor(
            "mlp",
            module__hidden_layer_sizes=(256, 128, 64),
            module__batch_norm=True,
            module__dropout=0.2,
            max_epochs=15,
            random_state=0,
        ),
    )
    search = skopt.BayesSearchCV(
        pipe,
        {
            "neuralregressor__lr": Real(1e-4, 5e-3, prior="log-uniform"),
            "neuralregressor__batch_size": Integer(16, 128),
        },
        n_iter=3,
        cv=3,
        random_state=0,
        scoring="neg_mean_squared_error",
    )
    search.fit(X, valence)
    net = search.best_estimator_[-1]
    kinds = [type(m).__name__ for m in net.module_.layers]
    assert (
        kinds.count("BatchNorm1d") == 3
        and kinds.count("Dropout") == 3
        and net.module_.layers[-1].out_features == 1
    )
    assert len(net.history[:, "train_loss"]) == 15


def test_workflow2_padtrim_mel_cnn_regressor_grid():
    rng = np.random.default_rng(0)
    target = rng.uniform(0, 1, 30)
    clips = []
    for v in target:
        n = int(SR * rng.uniform(0.3, 0.7))
        t = np.arange(n) / SR
        clips.append((np.sin(2 * np.pi * (300 + 1000 * v) * t)).astype(np.float32))
    pipe = make_pipeline(
        PadTrim(percentile=90, sr=SR),
        MelSpectrogram(sr=SR, n_mels=64, hop_length=512, n_fft=1024, db=True),
        SpectrogramScaler(),
        NeuralRegressor(
            "cnn", module__n_blocks=4, module__channels=4, max_epochs=2, random_state=0
        ),
    )
    grid = GridSearchCV(
        pipe,
        {
            "neuralregressor__lr": [1e-3, 1e-2],
            "neuralregressor__module__activation": ["relu", "sigmoid"],
            "neuralregressor__module__kernel_size": [3, 5],
            "neuralregressor__module__pooling": ["max", "avg"],
        },
        cv=3,
    )
    grid.fit(clips, target)
    assert len(grid.cv_results_["params"]) == 16
    padtrim = grid.best_estimator_[0]
    assert padtrim.length_ == int(np.percentile([len(c) for c in clips], 90, method="inverted_cdf"))


def test_batches_cover_every_sample_shuffled_for_training_only():
    X = np.arange(10, dtype=np.float32)[:, None]
    y = np.arange(10) % 2
    clf = NeuralClassifier(batch_size=4, max_epochs=1).fit(X, y)
    dataset = clf.get_dataset(X, y)
    torch.manual_seed(0)
    train = [xb[:, 0].int().tolist() for xb, _ in clf.get_iterator(dataset, training=True)]
    valid = [xb[:, 0].int().tolist() for xb, _ in clf.get_iterator(dataset, training=False)]
    assert [len(b) for b in train] == [4, 4, 2] and sorted(sum(train, [])) == list(range(10))
    assert sum(train, []) != list(range(10))
    assert valid == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    ordered = NeuralClassifier(batch_size=4, max_epochs=1, iterator_train__shuffle=False).fit(X, y)
    fixed = ordered.get_iterator(dataset, training=True)
    assert [xb[:, 0].int().tolist() for xb, _ in fixed] == valid
