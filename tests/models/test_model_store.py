import pytest

from helpers import tiny_model_dir
from traitrl._util.errors import ModelError
from traitrl.models.store import BUILTIN_MODELS, load_model, prepare_builtin, resolve_model


def test_unknown_model_name_is_one_clear_error():
    with pytest.raises(ModelError, match="unknown model 'no-such-model'"):
        resolve_model("no-such-model")


def test_folder_without_config_is_refused(tmp_path):
    with pytest.raises(ModelError, match="no config.json"):
        resolve_model(str(tmp_path))


def test_hub_ids_pass_through_untouched_when_the_hub_is_reachable(monkeypatch):
    import traitrl._util.hub as hub

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "0")
    monkeypatch.setattr(hub, "_hub_reachable", lambda: True)
    assert resolve_model("Qwen/Qwen2.5-1.5B-Instruct") == "Qwen/Qwen2.5-1.5B-Instruct"
    monkeypatch.setattr(hub, "_hub_reachable", lambda: False)  # no network and not cached: one line, at once
    with pytest.raises(ModelError, match="hub cannot be reached"):
        resolve_model("Qwen/Qwen2.5-1.5B-Instruct")


def test_prepare_is_idempotent_and_verified(tmp_path):
    folder = prepare_builtin("smollm2-135m-instruct")
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    assert prepare_builtin("smollm2-135m-instruct") == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp  # second call verified, did not rebuild
    model = load_model("smollm2-135m-instruct")
    assert not getattr(model, "is_quantized", False)
    assert getattr(model.config, "quantization_config", None) is None
    assert "smollm2-135m-instruct" in BUILTIN_MODELS


def test_tiny_model_uses_the_real_tokenizer():
    from transformers import AutoTokenizer

    folder = tiny_model_dir()
    tok = AutoTokenizer.from_pretrained(folder)
    assert tok.chat_template and len(tok) == 49152
    assert sum(p.numel() for p in load_model(str(folder)).parameters()) < 5_000_000


def test_local_weights_go_where_the_device_option_says_and_bad_devices_are_refused(monkeypatch):
    import torch

    from traitrl._util.errors import ConfigError
    from traitrl.models.base import get_model

    path = str(tiny_model_dir())
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # a GPU machine: weights go to the GPU unasked
    assert (get_model(path).device, get_model(path).compute) == ("cuda", "cuda")
    on_cpu = get_model(path, device="cpu")
    assert (on_cpu.compute, on_cpu.model.device.type) == ("cpu", "cpu")
    with pytest.raises(ConfigError, match="device"):
        get_model(path, device="gpu0")
    with pytest.raises(ConfigError, match="already on 'cpu'"):
        get_model(path, model_obj=on_cpu.model, tokenizer=on_cpu.tokenizer, device="cuda")
    assert get_model(path, model_obj=on_cpu.model, tokenizer=on_cpu.tokenizer).compute == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert get_model(path).compute == "cpu"
    with pytest.raises(ConfigError, match="no CUDA GPU"):  # asked for, absent: one line, before any loading
        get_model(path, device="cuda:0")
