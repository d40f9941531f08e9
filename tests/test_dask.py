"""Searches and extraction on a Dask cluster (2 worker processes), and training from disk."""

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, GroupKFold

from audiosk.containers import DiskArray
from audiosk.extraction import extract_features
from audiosk.nets import NeuralClassifier

from ._helpers import audio_pipeline

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def grid(n_jobs):
    return GridSearchCV(
        audio_pipeline(max_epochs=3),
        {"pca__n_components": [5, 10], "neuralclassifier__lr": [1e-3, 1e-2]},
        cv=GroupKFold(2),
        n_jobs=n_jobs,
    )


@pytest.mark.slow
def test_grid_search_on_dask_equals_local(client, tone_files):
    paths, labels, groups = tone_files
    local = grid(n_jobs=1).fit(paths, labels, groups=groups)
    before = set(client.run(lambda: 1))
    with joblib.parallel_backend("dask"):
        remote = grid(n_jobs=None).fit(paths, labels, groups=groups)
    assert len(before) == 2
    np.testing.assert_allclose(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(remote.predict_proba(paths), local.predict_proba(paths), rtol=1e-5)
    tasks = client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.task_prefixes))
    assert tasks > 0  # work went through the scheduler


@pytest.mark.slow
def test_bayes_search_on_dask_equals_local(client, tone_files):
    skopt = pytest.importorskip("skopt")
    from skopt.space import Real

    paths, labels, _ = tone_files

    def search():
        return skopt.BayesSearchCV(
            audio_pipeline(max_epochs=2),
            {"neuralclassifier__lr": Real(1e-4, 5e-3, prior="log-uniform")},
            n_iter=3,
            cv=2,
            random_state=0,
        )

    local = search().fit(paths, labels)
    with joblib.parallel_backend("dask"):
        remote = search().fit(paths, labels)
    assert remote.cv_results_["params"] == local.cv_results_["params"]
    np.testing.assert_allclose(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )


def test_extract_features_on_dask_equals_local(client, tone_files, tmp_path):
    paths = list(tone_files[0][:12])
    local = extract_features(
        paths, "mfcc", out=tmp_path / "local.csv", sr=8000, batch_size=3, verbose=0
    )
    with joblib.parallel_backend("dask"):
        remote = extract_features(
            paths, "mfcc", out=tmp_path / "dask.parquet", sr=8000, batch_size=3, verbose=0
        )
    assert remote["path"].tolist() == paths
    np.testing.assert_allclose(
        remote.iloc[:, 1:].to_numpy(float), local.iloc[:, 1:].to_numpy(float), rtol=1e-6
    )


def spectra_on_disk(tmp_path, n=80):
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], n // 2)
    X = rng.normal(size=(n, 8, 12)).astype(np.float32)
    X[y == 1, :2] += 1.5
    path = tmp_path / "spectra.npy"
    np.save(path, X)
    return X, y, path


def test_nets_train_batch_by_batch_from_disk(tmp_path, monkeypatch):
    X, y, path = spectra_on_disk(tmp_path)
    params = dict(  # whole rows, as a DiskArray is read ("auto" windows need clips in memory)
        module__channels=4,
        module__n_blocks=2,
        max_epochs=3,
        batch_size=16,
        window_length=None,
        average_weights=None,
        random_state=0,
    )
    in_memory = NeuralClassifier("cnn", **params).fit(X, y)
    on_disk = DiskArray(path)
    reads = []
    original = DiskArray.read
    monkeypatch.setattr(
        DiskArray, "read", lambda self, index: reads.append(len(index)) or original(self, index)
    )
    net = NeuralClassifier("cnn", **params).fit(on_disk, y)
    assert max(reads) <= 16  # never more than one batch at a time
    np.testing.assert_array_equal(net.predict_proba(on_disk), in_memory.predict_proba(X))
    search = GridSearchCV(NeuralClassifier("cnn", **params), {"lr": [1e-3, 1e-2]}, cv=2).fit(
        on_disk, y
    )
    assert max(reads) <= 16 and search.best_score_ > 0.6


def test_disk_array_pickles_as_a_path(tmp_path):
    import pickle

    _, _, path = spectra_on_disk(tmp_path)
    view = DiskArray(path)[np.arange(10, 20)]
    clone = pickle.loads(pickle.dumps(view))
    assert len(pickle.dumps(view)) < 2000
    np.testing.assert_array_equal(np.asarray(clone), np.load(path)[10:20])
