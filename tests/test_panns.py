"""PANNs: the released checkpoint layout, the front end against librosa, embeddings, fine-tuning."""

import json
from pathlib import Path

import librosa
import numpy as np
import pytest
import scipy.signal
import torch

from audiosk.containers import Waveforms
from audiosk.features import PANNsEmbedding
from audiosk.nets import NeuralClassifier, NeuralRegressor, PANNs
from audiosk.nets._panns import LogMel
from audiosk.utils._dsp import FRONT_END, PANNS_SR, resample

#: Key names and shapes of the released checkpoints' "model" state dicts
#: (Cnn10_mAP=0.380.pth, Cnn14_mAP=0.431.pth), read off the reference code.
RELEASED = json.loads((Path(__file__).parent / "data" / "panns_checkpoint_keys.json").read_text())


def released_checkpoint(path, arch, seed=0):
    """A file in the released layout, every tensor random but the Mel filters."""
    gen = torch.Generator().manual_seed(seed)
    state = {}
    for key, shape in RELEASED[arch]:
        if key == "logmel_extractor.melW":
            state[key] = torch.from_numpy(
                librosa.filters.mel(
                    sr=PANNS_SR,
                    n_fft=1024,
                    n_mels=64,
                    fmin=FRONT_END["fmin"],
                    fmax=FRONT_END["fmax"],
                ).T.copy()
            )
        elif key.endswith("num_batches_tracked"):
            state[key] = torch.tensor(1000)
        elif key.endswith("running_var"):
            state[key] = torch.rand(shape, generator=gen) + 0.5
        else:
            state[key] = 0.05 * torch.randn(shape, generator=gen)
    torch.save({"model": state, "iteration": 0}, path)
    return state


@pytest.fixture(scope="module")
def cnn10_weights(tmp_path_factory):
    path = tmp_path_factory.mktemp("panns") / "Cnn10_mAP=0.380.pth"
    released_checkpoint(path, "cnn10")
    return path


@pytest.mark.parametrize("arch", ["cnn10", "cnn14"])
def test_released_layout_loads_into_every_parameter(arch, tmp_path):
    state = released_checkpoint(tmp_path / "w.pth", arch)
    net = PANNs(arch=arch, weights=tmp_path / "w.pth")
    own = net.state_dict()
    front_end = {k for k in state if k.startswith(("spectrogram_extractor.", "logmel_extractor."))}
    assert front_end == {
        "spectrogram_extractor.stft.conv_real.weight",
        "spectrogram_extractor.stft.conv_imag.weight",
        "logmel_extractor.melW",
    }
    assert set(own) == set(state) - front_end  # every other tensor is a parameter or buffer
    for key, value in own.items():
        assert value.shape == state[key].shape and torch.equal(value, state[key]), key
    assert net.embedding_size == {"cnn10": 512, "cnn14": 2048}[arch]


def test_a_checkpoint_of_another_model_or_rate_is_refused(tmp_path):
    released_checkpoint(tmp_path / "cnn10.pth", "cnn10")
    with pytest.raises(ValueError, match="does not match PANNs arch='cnn14'.*CNN14 checkpoint"):
        PANNs(arch="cnn14", weights=tmp_path / "cnn10.pth")
    state = torch.load(tmp_path / "cnn10.pth", weights_only=True)
    state["model"]["logmel_extractor.melW"] = torch.rand(257, 64)  # the 16 kHz release's shape
    torch.save(state, tmp_path / "16k.pth")
    with pytest.raises(ValueError, match=r"another front end.*\(257, 64\)"):
        PANNs(arch="cnn10", weights=tmp_path / "16k.pth")
    torch.save([1, 2], tmp_path / "list.pth")
    with pytest.raises(TypeError, match="holds no PANNs checkpoint"):
        PANNs(arch="cnn10", weights=tmp_path / "list.pth")


def test_front_end_equals_librosa():
    t = np.arange(PANNS_SR * 2) / PANNS_SR
    rng = np.random.default_rng(0)
    wave = (0.3 * np.sin(2 * np.pi * (200 + 2000 * t) * t) + 0.01 * rng.normal(size=t.size)).astype(
        np.float32
    )
    ours = LogMel(PANNS_SR, **FRONT_END)(torch.from_numpy(wave)[None])[0].numpy()
    mel = librosa.feature.melspectrogram(
        y=wave.astype(np.float64),
        sr=PANNS_SR,
        n_fft=1024,
        hop_length=320,
        n_mels=64,
        fmin=50.0,
        fmax=14000.0,
        center=True,
        pad_mode="reflect",
        power=2.0,
    )
    expected = librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None).T
    assert ours.shape == expected.shape == (1 + wave.size // 320, 64)
    np.testing.assert_allclose(ours, expected, atol=2e-3)  # dB; float32 against float64


@pytest.mark.parametrize(
    ("n", "orig", "target"),
    [(8000, 8000, 32000), (4410, 44100, 32000), (999, 16000, 32000), (1001, 48000, 32000)],
)
def test_resample_equals_scipy(n, orig, target):
    x = np.random.default_rng(n).normal(size=(2, n))
    ours = resample(torch.from_numpy(x), orig, target).numpy()
    expected = scipy.signal.resample(x, round(n * target / orig), axis=-1)
    np.testing.assert_allclose(ours, expected, atol=1e-10)


def test_embedding_of_a_clip_does_not_depend_on_its_batch(cnn10_weights):
    net = PANNs(arch="cnn10", weights=cnn10_weights).eval()
    wave = torch.from_numpy(np.random.default_rng(0).normal(size=(3, 40000)).astype(np.float32))
    with torch.no_grad():
        together = net.embed(wave)
        alone = torch.cat([net.embed(wave[i : i + 1]) for i in range(3)])
    torch.testing.assert_close(together, alone, rtol=1e-4, atol=1e-5)
    assert (together >= 0).all()  # a ReLU output


def test_too_short_clips_and_spectrogram_input_are_refused(cnn10_weights):
    net = PANNs(arch="cnn10").eval()
    with pytest.raises(ValueError, match=r"at least 4801 samples at 32000 Hz; got 4000.*PadTrim"):
        net.embed(torch.zeros(1, 4000))
    net.embed(torch.zeros(1, 4801))  # the shortest that pools to one frame
    with pytest.raises(ValueError, match="waveforms, not spectrograms|not spectrograms"):
        PANNs(input_shape=(64, 100), n_outputs=2)


def test_embedding_step_resamples_batches_and_names_its_columns(cnn10_weights):
    rng = np.random.default_rng(1)
    clips = [rng.normal(size=n).astype(np.float32) * 0.1 for n in (16000, 12000, 16000)]
    step = PANNsEmbedding(cnn10_weights, arch="cnn10", output="both", batch_size=2)
    out = step.fit_transform(Waveforms(clips, sr=16000))
    assert out.shape == (3, 512 + 527) and out.dtype == np.float32
    names = step.get_feature_names_out()
    assert names[0] == "panns_cnn10_0" and len(names) == 1039
    assert names[512] == "audioset_Speech" and names[512 + 137] == "audioset_Music"
    assert names[-1] == "audioset_Field recording" and len(set(names)) == 1039
    net = PANNs(arch="cnn10", weights=cnn10_weights).eval()
    for i, clip in enumerate(clips):  # each clip as the reference would see it: 32 kHz, alone
        at_32k = scipy.signal.resample(clip, len(clip) * 2).astype(np.float32)
        with torch.no_grad():
            embedding = net.embed(torch.from_numpy(at_32k)[None])
            tags = torch.sigmoid(net.fc_audioset(embedding))
        np.testing.assert_allclose(out[i, :512], embedding[0].numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(out[i, 512:], tags[0].numpy(), rtol=1e-4, atol=1e-6)
    tags_only = PANNsEmbedding(cnn10_weights, arch="cnn10", output="tags", sr=16000).fit(clips)
    np.testing.assert_allclose(tags_only.transform(clips), out[:, 512:], rtol=1e-4, atol=1e-6)


def test_embedding_step_errors_name_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="fetch_panns_weights"):
        PANNsEmbedding(tmp_path / "missing.pth").fit(Waveforms([np.zeros(32000)], sr=32000))
    with pytest.raises(ValueError, match="sr="):
        PANNsEmbedding(tmp_path / "missing.pth").fit([np.zeros(32000)])  # no rate known


@pytest.mark.filterwarnings("ignore:PANNs.trainable_layers=.*without weights")
def test_trainable_layers_freezes_the_first_stages():
    net = PANNs(n_outputs=4, arch="cnn14", trainable_layers=2)
    trainable = {n.split(".")[0] for n, p in net.named_parameters() if p.requires_grad}
    assert trainable == {"conv_block6", "fc1", "fc_audioset"}
    assert net.fc_audioset.out_features == 4
    head_only = PANNs(n_outputs=4, arch="cnn10", trainable_layers=0)
    assert {n for n, p in head_only.named_parameters() if p.requires_grad} == {
        "fc_audioset.weight",
        "fc_audioset.bias",
    }
    with pytest.raises(ValueError, match="between 0 and 5"):
        PANNs(n_outputs=2, arch="cnn10", trainable_layers=6)


def test_fine_tuning_through_the_estimators_trains_only_the_last_stages(cnn10_weights):
    rng = np.random.default_rng(0)
    X = Waveforms((0.1 * rng.normal(size=(12, 8000))).astype(np.float32), sr=16000)
    y = np.repeat(["a", "b", "c"], 4)
    clf = NeuralClassifier(
        "panns",
        module__arch="cnn10",
        module__weights=cnn10_weights,
        module__trainable_layers=1,
        max_epochs=2,
        batch_size=4,
        random_state=0,
    ).fit(X, y)
    assert clf.module_.sr == 16000 and clf.sample_rate_ == 16000
    loaded = PANNs(arch="cnn10", weights=cnn10_weights).state_dict()
    tuned = clf.module_.state_dict()
    for key in loaded:
        if key.startswith(("conv_block", "bn0")):
            assert torch.equal(tuned[key], loaded[key]), key  # frozen, batch-norm statistics too
    assert not torch.equal(tuned["fc1.weight"], loaded["fc1.weight"])
    assert tuned["fc_audioset.weight"].shape == (3, 512)
    assert set(clf.predict(X)) <= {"a", "b", "c"}
    with pytest.raises(ValueError, match="fitted on waveforms at 16000 Hz; X is at 8000 Hz"):
        clf.predict(Waveforms(list(X), sr=8000))
    reg = NeuralRegressor(
        "panns", module__arch="cnn10", module__weights=cnn10_weights, module__trainable_layers=0
    )
    reg.set_params(max_epochs=1, batch_size=4).fit(X, rng.normal(size=12))
    assert reg.predict(X).shape == (12,)


def test_a_waveform_net_on_a_plain_array_needs_the_rate():
    X, y = np.zeros((4, 8000), dtype=np.float32), [0, 1, 0, 1]
    with pytest.raises(ValueError, match="AudioLoader .* or pass module__sr"):
        NeuralClassifier("panns", module__arch="cnn10", max_epochs=1).fit(X, y)


def test_pretrained_modules_follow_the_fine_tuning_recipe(cnn10_weights):
    panns = NeuralClassifier(
        "panns", module__arch="cnn10", module__sr=16000, module__input_shape=(8000,)
    )
    panns.set_params(module__n_outputs=3).initialize()
    assert (panns.recipe_, panns.max_epochs_) == ("finetune", 10)
    assert [type(a).__name__ for a in panns.augment_] == ["Mixup"]
    assert panns.get_params()["max_epochs"] == "auto"
    scratch = NeuralClassifier(module__input_shape=(8000,), module__n_outputs=3).initialize()
    assert (scratch.recipe_, scratch.max_epochs_) == ("table", 100)
