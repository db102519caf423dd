"""The ONNX backend's embedder: onnxruntime on an exported model folder (``onnx_export.py``).

Serving imports neither torch nor sentence-transformers: token ids come from ``tokenizer.py``, the
graph does the rest (mean pooling over the attention mask and L2 normalization are part of it).
Texts are encoded in batches of similar length, so a long passage does not pad its batch-mates;
every row is the same whatever its batch-mates are, because no weight or activation depends on
the batch (with ``onnx_weights = "int8"`` activations are quantized per batch, and rows move by
up to about 0.005 in cosine).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError
from .tokenizer import load_tokenizer

META_FILE = "onnx.json"
MODEL_FILE = "model.onnx"
BATCH_SIZE = 16


class OnnxEncoder:
    """``Embedder`` backed by ``onnxruntime.InferenceSession`` on ``folder/model.onnx``."""

    def __init__(self, folder: Path, threads: int = 0) -> None:
        import onnxruntime

        try:
            meta: dict[str, Any] = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            self.session = onnxruntime.InferenceSession(
                str(folder / MODEL_FILE), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - onnxruntime's load errors share no base but Exception
            raise ModelError(f"[index] backend = onnx: cannot load the exported model in {folder}: {exc}"
                             ) from None
        self.folder = folder
        self.name = str(meta["name"])
        self.dim = int(meta["dim"])
        self.max_seq_length = int(meta["max_seq_length"])
        self._prompts: dict[str, str] = {"query": meta["prompts"].get("query", ""),
                                         "document": meta["prompts"].get("document", "")}
        self.tokenizer = load_tokenizer(folder)
        self._framing = len(self.tokenizer.ids(""))  # the special tokens around every text
        prompt_tokens = max((len(self.tokenizer.ids(p)) - self._framing for p in self._prompts.values() if p),
                            default=0)
        self.max_tokens = self.max_seq_length - prompt_tokens - self._framing

    def encode(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        """One L2-normalized float32 row per text."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        prefix = self._prompts["query" if query else "document"]
        rows = [self._truncated(self.tokenizer.ids(prefix + text)) for text in texts]
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
        for start in range(0, len(order), BATCH_SIZE):
            chosen = order[start:start + BATCH_SIZE]
            out[chosen] = self._run([rows[i] for i in chosen])
        return out

    def count_tokens(self, text: str) -> int:
        """Model tokens ``text`` takes, without prompt and special tokens."""
        return len(self.tokenizer.ids(text)) - self._framing

    def _truncated(self, ids: list[int]) -> list[int]:
        """At most ``max_seq_length`` ids, keeping the closing special token (as sentence-transformers)."""
        return ids if len(ids) <= self.max_seq_length else ids[: self.max_seq_length - 1] + ids[-1:]

    def _run(self, rows: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in rows)
        input_ids = np.full((len(rows), width), self.tokenizer.pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, ids in enumerate(rows):
            input_ids[i, : len(ids)] = ids
            mask[i, : len(ids)] = 1
        (vectors,) = self.session.run(None, {"input_ids": input_ids, "attention_mask": mask})
        return np.asarray(vectors, dtype=np.float32)
