"""Export the prepared sentence-transformers folder to ONNX for the onnx backend.

``python -m index prepare-model`` (and the first start with ``[index] backend = "onnx"``) writes
``model_cache/onnx/<model>-<fingerprint>-<weights>/``. The graph is the transformer, traced by
torch's TorchScript exporter (``dynamo=False``) with eager attention on a padded batch of mixed
lengths, with dynamic batch and length axes, followed by mean pooling over the attention mask and
L2 normalization: it returns what sentence-transformers returns. ``[index] onnx_weights``:

- ``float32``: the export as it is (470 MB for e5-small);
- ``int8-embedding``: the word-embedding table stored as int8 with a scale per row (onnxruntime's
  dynamic quantization of ``Gather``), the layers float32: 180 MB, rows within 0.9999 in cosine;
- ``int8``: every ``MatMul`` weight int8 too and activations quantized per batch: fastest, but a
  row depends slightly on its batch-mates and moves by up to about 0.005 in cosine.

Before a folder is kept its vectors are checked against sentence-transformers on probe texts in
several languages and lengths (``MIN_COSINE``), and its tokenizer's ids against the model's own.
The folder is written under a temporary name and renamed into place (``prepare.publish``).
"""

from __future__ import annotations

import json
import logging
import shutil
import warnings
from pathlib import Path
from typing import Any

from ..config import IndexConfig
from ..errors import ModelError
from .onnx_encoder import META_FILE, MODEL_FILE, OnnxEncoder
from .prepare import STAMP, model_fingerprint, prepare_model, publish
from .tokenizer import FULL_FILE, write_compact

log = logging.getLogger(__name__)

EXPORTER_VERSION = 1
OPSET = 17
MIN_COSINE = {"float32": 0.9999, "int8-embedding": 0.9995, "int8": 0.98}
PROBES = (
    "Wo wurde Pavel Durov festgenommen?",
    "Who founded Telegram, and when?",
    "Telegram sei kein „sicherer Hafen“ für Kriminelle, erklärte Durov am Donnerstag.",
    "Дуров заявил, что Telegram не является «раем» для преступников.",
    "دوروف: تلغرام ليس ملاذاً آمناً للمجرمين",
    "ดูรอฟกล่าวว่าเทเลแกรมไม่ใช่แหล่งหลบภัยของอาชญากร",
    "x",
    "🫠 Ｔｅｌｅｇｒａｍ — 100 % ﬁne?",
    " ".join(["Der Gründer von Telegram äußerte sich ausführlich zu den Vorwürfen der Behörden."] * 60),
)


def onnx_folder(config: IndexConfig, source: Path) -> Path:
    """Where the ONNX export of the prepared folder ``source`` lives."""
    return config.model_cache / "onnx" / f"{source.name}-{model_fingerprint(source)}-{config.onnx_weights}"


def prepare_onnx(config: IndexConfig) -> Path:
    """The ONNX folder for ``config``, exporting (and checking) it first unless already complete."""
    source = prepare_model(config)
    stamp = {"source": str(source.resolve()), "fingerprint": model_fingerprint(source),
             "weights": config.onnx_weights, "exporter": EXPORTER_VERSION}
    return publish(onnx_folder(config, source), stamp,
                   lambda folder: export(source, folder, config.onnx_weights))


def mean_pooled(source: Path) -> str:
    """The transformer's sub-folder of ``source`` if the model is a transformer, mean pooling
    (prompt included) and an optional normalization; else ``ModelError``."""
    try:
        modules = json.loads((source / "modules.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = json.loads((source / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, IndexError) as exc:
        raise ModelError(f"[index] backend = onnx: cannot read the modules of {source}: {exc}") from None
    modes = {key for key, on in pooling.items() if key.startswith("pooling_mode_") and on}
    others = modes - {"pooling_mode_mean_tokens"}
    if (kinds[:2] != ["Transformer", "Pooling"] or kinds[2:] not in ([], ["Normalize"])
            or not pooling.get("pooling_mode_mean_tokens") or others
            or pooling.get("include_prompt", True) is False):
        raise ModelError(f"[index] backend = onnx exports transformer + mean pooling models; {source} "
                         f"is {' + '.join(kinds)} with {sorted(others) or 'no mean'} pooling: "
                         "use backend = torch")
    return str(modules[0].get("path", ""))


def export(source: Path, target: Path, weights: str) -> None:
    """Write the ONNX folder for the sentence-transformers folder ``source`` into ``target``."""
    from .encoder import SentenceEncoder

    transformer = mean_pooled(source)
    reference = SentenceEncoder(source)
    float32 = target / "float32.onnx"
    _trace(source / transformer, reference, float32)
    if weights == "float32":
        float32.rename(target / MODEL_FILE)
    else:
        _quantize(float32, target / MODEL_FILE, weights)
        float32.unlink()
    shutil.copyfile(source / FULL_FILE, target / FULL_FILE)
    if (source / STAMP).is_file():  # the converted e5: its Unigram tokenizer in compact form
        write_compact(source / FULL_FILE, target)
    prompts = reference.model.prompts or {}
    meta: dict[str, Any] = {
        "name": f"{source.name}-{model_fingerprint(source)}-onnx-{weights}",
        "dim": reference.dim, "max_seq_length": reference.max_seq_length, "weights": weights,
        "prompts": {"query": prompts.get(reference._query_prompt or "", ""),
                    "document": prompts.get(reference._document_prompt or "", "")},
    }
    (target / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    meta["min_cosine"] = check(OnnxEncoder(target), reference, MIN_COSINE[weights])
    (target / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def check(encoder: OnnxEncoder, reference: Any, minimum: float) -> float:
    """The lowest cosine between ``encoder`` and ``reference`` over the probes as questions and as
    passages; ``ModelError`` if a token id differs or the cosine falls below ``minimum``."""
    import numpy as np

    for text in PROBES:
        if encoder.tokenizer.ids(text) != reference.token_ids(text, special=True):
            raise ModelError(f"the exported tokenizer disagrees with the model's on {text[:40]!r}")
    lowest = 1.0
    for query in (True, False):
        ours, theirs = encoder.encode(PROBES, query=query), reference.encode(PROBES, query=query)
        lowest = min(lowest, float(np.min(np.sum(ours * theirs, axis=1))))
    log.info("ONNX export: lowest cosine to sentence-transformers %.5f (needs %.4f)", lowest, minimum)
    if lowest < minimum:
        raise ModelError(f"the ONNX export is not faithful: cosine {lowest:.5f} < {minimum}")
    return round(lowest, 6)


def _trace(folder: Path, reference: Any, path: Path) -> None:
    """Export the transformer in ``folder`` with pooling and normalization to ``path``."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(folder), attn_implementation="eager", local_files_only=True)
    model.eval()

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    rows = [reference.token_ids(text, special=True) for text in PROBES[:3]]
    width = max(len(ids) for ids in rows)  # a padded batch of mixed lengths
    pad = int(reference.tokenizer.pad_token_id or 0)
    ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows])
    mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])
    dynamic = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
               "sentence_embedding": {0: "batch"}}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the tracer's notes on shape-dependent Python branches
        torch.onnx.export(Pooled().eval(), (ids, mask), str(path), dynamo=False, opset_version=OPSET,
                          input_names=["input_ids", "attention_mask"], output_names=["sentence_embedding"],
                          dynamic_axes=dynamic)


def _quantize(source: Path, target: Path, weights: str) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    kinds = ["Gather"] if weights == "int8-embedding" else ["Gather", "MatMul"]
    root = logging.getLogger()
    was, root.disabled = root.disabled, True  # it logs advice on pre-processing through the root logger
    try:
        quantize_dynamic(str(source), str(target), op_types_to_quantize=kinds, per_channel=True,
                         weight_type=QuantType.QInt8)
    finally:
        root.disabled = was
