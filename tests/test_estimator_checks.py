"""scikit-learn's estimator checks on every public estimator, found by walking audiosk.

The estimators are found as scikit-learn's ``all_estimators`` finds its own:
every public class of every public module that is a ``BaseEstimator`` with
``fit``. Each needs an entry in ``INSTANCES`` (the checks pass plain arrays,
so steps that need a sample rate are given one); every expected failure is
listed here, once, with its reason, in ``EXPECTED_FAILURES``.
"""

import importlib
import importlib.util
import inspect
import pkgutil

import pytest
import torch
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import check_estimator, parametrize_with_checks

import audiosk
from audiosk.adaptation import VTLNClassifier
from audiosk.chunking import ChunkedClassifier, ChunkedRegressor
from audiosk.features import (
    MFCC,
    AudioDescriptors,
    Deltas,
    Flatten,
    GTZANFeatures,
    MelSpectrogram,
    OpenSMILEFeatures,
    PANNsEmbedding,
    Spectrogram,
    SpectrogramImage,
    SpectrogramScaler,
    TemporalStats,
)
from audiosk.model_selection import CachedTransformer
from audiosk.nets import NeuralClassifier, NeuralRegressor
from audiosk.preprocessing import PadTrim


def public_estimators():
    """Every public estimator class of audiosk, by name."""
    found = {}
    for info in pkgutil.walk_packages(audiosk.__path__, "audiosk."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        for name, obj in inspect.getmembers(importlib.import_module(info.name), inspect.isclass):
            if (
                not name.startswith("_")
                and obj.__module__.startswith("audiosk.")
                and issubclass(obj, BaseEstimator)
                and hasattr(obj, "fit")
                and not inspect.isabstract(obj)
            ):
                found[name] = obj
    return found


# -- the reasons, each written once --------------------------------------------
ANY_LENGTH = (
    "a waveform step accepts clips of any length at transform: a clip's length "
    "is not a feature count, and a model fitted on 1 s clips may be applied to 3 s clips"
)
NOT_A_FEATURE_COUNT = (
    "a waveform step sets no n_features_in_: its input's second axis is a clip's length, "
    "not a feature count, and clips of any length are accepted after fit"
)
CHUNKS_ARE_NOT_ROWS = (
    "the check's rows are cut into 2-sample chunks, each labelled with its row's target; "
    "a linear model on such chunks cannot reach the check's training score"
)
SKORCH_INIT = (
    "skorch stores routed parameters (module__*), history_, initialized_ and "
    "virtual_params_ as attributes in __init__; clone and get_params handle them"
)
FLOAT32_BATCHES = (
    "float32 network arithmetic differs in the last bit (2e-7) between batch "
    "compositions; the check demands 1e-7"
)
SPECTRA_IN = (
    "VTLNClassifier warps the frequency axis of spectra (n, bins, frames); the check's "
    "2-D tables have no such axis and are refused with an error saying so"
)
WAVEFORMS_IN = (
    "PANNsEmbedding reads waveforms at least one network frame long (4,800+ samples "
    "for CNN10); the check's rows of a few values are refused with an error saying so"
)

VTLN_CHECKS_ON_TABLES = (
    "check_classifier_data_not_an_array",
    "check_classifiers_classes",
    "check_classifiers_one_label",
    "check_classifiers_one_label_sample_weights",
    "check_classifiers_regression_target",
    "check_classifiers_train",
    "check_complex_data",
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimator_sparse_array",
    "check_estimator_sparse_matrix",
    "check_estimator_sparse_tag",
    "check_estimators_dtypes",
    "check_estimators_empty_data_messages",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit2d_1feature",
    "check_fit2d_1sample",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_n_features_in_after_fitting",
    "check_pipeline_consistency",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
    "check_requires_y_none",
    "check_supervised_y_2d",
)
PANNS_CHECKS_ON_SHORT_ROWS = (
    "check_dict_unchanged",
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_pipeline_consistency",
    "check_transformer_data_not_an_array",
    "check_transformer_general",
    "check_transformer_preserve_dtypes",
)
NO_N_FEATURES_IN = {
    "check_n_features_in": NOT_A_FEATURE_COUNT,
    "check_n_features_in_after_fitting": NOT_A_FEATURE_COUNT,
}
EXPECTED_FAILURES = {
    "PadTrim": {
        **NO_N_FEATURES_IN,
        "check_transformer_general": ANY_LENGTH,
        "check_transformer_general(readonly_memmap=True)": ANY_LENGTH,
    },
    "MelSpectrogram": NO_N_FEATURES_IN,
    "MFCC": NO_N_FEATURES_IN,
    "Spectrogram": NO_N_FEATURES_IN,
    "GTZANFeatures": NO_N_FEATURES_IN,
    "AudioDescriptors": NO_N_FEATURES_IN,
    "OpenSMILEFeatures": NO_N_FEATURES_IN,
    "ChunkedClassifier": {
        **NO_N_FEATURES_IN,
        "check_classifiers_train": ANY_LENGTH,
        "check_classifiers_train(readonly_memmap=True)": ANY_LENGTH,
        "check_classifiers_train(readonly_memmap=True,X_dtype=float32)": ANY_LENGTH,
    },
    "ChunkedRegressor": {
        **NO_N_FEATURES_IN,
        "check_regressors_train": CHUNKS_ARE_NOT_ROWS,
        "check_regressors_train(readonly_memmap=True)": CHUNKS_ARE_NOT_ROWS,
        "check_regressors_train(readonly_memmap=True,X_dtype=float32)": CHUNKS_ARE_NOT_ROWS,
    },
    "NeuralClassifier": {"check_no_attributes_set_in_init": SKORCH_INIT},
    "NeuralRegressor": {
        "check_no_attributes_set_in_init": SKORCH_INIT,
        "check_methods_subset_invariance": FLOAT32_BATCHES,
    },
    "VTLNClassifier": dict.fromkeys(VTLN_CHECKS_ON_TABLES, SPECTRA_IN),
    "PANNsEmbedding": {
        **NO_N_FEATURES_IN,
        **dict.fromkeys(PANNS_CHECKS_ON_SHORT_ROWS, WAVEFORMS_IN),
    },
}

# the checks pass plain arrays, which carry no sample rate: the waveform steps that need one
# are given it (tests/test_contract.py checks that they ask for it otherwise)
INSTANCES = {
    "PadTrim": [PadTrim(length=16), PadTrim(percentile=90, mode="wrap")],
    "Spectrogram": [Spectrogram(sr=22050), Spectrogram(sr=22050, frequency_scale="log", db=True)],
    "MelSpectrogram": [MelSpectrogram(sr=8000, n_fft=64, hop_length=16, n_mels=8)],
    "MFCC": [MFCC(sr=8000, n_mfcc=5, n_fft=64, hop_length=16, n_mels=10)],
    # checks pass 2-D data, read as one frame per clip: "interp" needs >= width frames
    "Deltas": [Deltas(mode="nearest", width=3)],
    "TemporalStats": [
        TemporalStats(stats=("mean", "std", "min", "max", "median", "skew", "kurtosis"))
    ],
    "Flatten": [Flatten()],
    "SpectrogramScaler": [SpectrogramScaler(), SpectrogramScaler(per_clip=True)],
    "SpectrogramImage": [SpectrogramImage(height=6, width=4, channels=3)],
    "GTZANFeatures": [GTZANFeatures(sr=22050)],
    "AudioDescriptors": [AudioDescriptors(sr=16000)],
    "CachedTransformer": [CachedTransformer(SpectrogramScaler())],
    "ChunkedClassifier": [ChunkedClassifier(LogisticRegression(), window_seconds=2, sr=1)],
    "ChunkedRegressor": [ChunkedRegressor(Ridge(), window_seconds=2, sr=1)],
    "NeuralClassifier": [
        NeuralClassifier(module__hidden_layer_sizes=(16,), lr=0.01, max_epochs=5, random_state=0)
    ],
    "NeuralRegressor": [
        # check_regressors_train asks for R2 > 0.5 after these 5 epochs
        NeuralRegressor(module__hidden_layer_sizes=(16,), lr=0.03, max_epochs=5, random_state=0)
    ],
    "VTLNClassifier": [VTLNClassifier(make_pipeline(Flatten(), LogisticRegression()))],
}
#: Checked elsewhere in this module, with the reason.
CHECKED_APART = {
    "AudioLoader": "its input is file paths, so scikit-learn's numeric checks skip it",
    "PANNsEmbedding": "it needs a checkpoint file, written by a fixture",
}
# an optional extra: checked where the opensmile package is installed
if importlib.util.find_spec("opensmile") is not None:
    INSTANCES["OpenSMILEFeatures"] = [OpenSMILEFeatures(sr=16000)]
else:
    CHECKED_APART["OpenSMILEFeatures"] = "needs the opensmile package, which is not installed"


def test_every_public_estimator_is_checked():
    assert set(public_estimators()) == set(INSTANCES) | set(CHECKED_APART)
    assert set(EXPECTED_FAILURES) <= set(public_estimators())


def expected_failed_checks(estimator):
    return EXPECTED_FAILURES.get(type(estimator).__name__, {})


@parametrize_with_checks(
    [est for instances in INSTANCES.values() for est in instances],
    expected_failed_checks=expected_failed_checks,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_audio_loader_api():
    """AudioLoader's input is file paths, so scikit-learn's numeric checks skip it
    (``input_tags.two_d_array=False``); the API checks that apply run here and
    tests/test_io.py covers its behaviour."""
    from sklearn.base import clone
    from sklearn.utils.estimator_checks import (
        check_get_params_invariance,
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
        check_set_params,
    )

    from audiosk.io import AudioLoader

    loader = AudioLoader(sr=8000, n_jobs=2)
    for check in (
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
        check_get_params_invariance,
        check_set_params,
    ):
        check("AudioLoader", loader)
    assert clone(loader).get_params() == loader.get_params()


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    """A randomly initialised CNN10 in the released layout."""
    from audiosk.nets import PANNs

    path = tmp_path_factory.mktemp("panns") / "cnn10.pth"
    torch.manual_seed(0)
    torch.save({"model": PANNs(arch="cnn10").state_dict()}, path)
    return path


@pytest.mark.slow
def test_panns_embedding_passes_the_checks_that_apply(tiny_checkpoint):
    check_estimator(
        PANNsEmbedding(tiny_checkpoint, arch="cnn10", sr=32000, batch_size=4),
        expected_failed_checks=EXPECTED_FAILURES["PANNsEmbedding"],
    )


@pytest.mark.parametrize("estimator", [NeuralClassifier(), NeuralRegressor()])
def test_set_params_never_raises_for_the_nets(estimator, recwarn):
    """scikit-learn's fuzzing of set_params: the nets defer every check to fit."""
    from sklearn.utils.estimator_checks import check_set_params

    check_set_params(type(estimator).__name__, estimator)
    assert not [w for w in recwarn if "occurred during set_params" in str(w.message)]
