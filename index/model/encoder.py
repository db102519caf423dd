"""The real embedder: a sentence-transformers model on the CPU, loaded offline.

Questions go through ``encode_query`` and passages through ``encode_document``, so the model's
own prompts (``query: `` / ``passage: `` for e5) are applied; vectors come back L2-normalized
float32. ``name`` identifies the model and its configuration in the embedding cache.

For the converted e5 (a folder with the converter's stamp), the tokenizer's per-codepoint
normalization rules run as one ``str.translate`` (``char_map.py``) on every text before the
tokenizer, whose normalizer keeps only the steps after them; token ids stay those of the
``tokenizer.json`` on disk. The rare text whose mapping spells a special token is tokenized with
the full on-disk tokenizer instead.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError
from .char_map import CharMap, char_map_of
from .prepare import STAMP, model_fingerprint

BATCH_SIZE = 16


class SentenceEncoder:
    """``Embedder`` backed by ``SentenceTransformer(folder, device="cpu")``."""

    def __init__(self, folder: Path) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        try:
            self.model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelError(f"[index] model: cannot load the model folder {folder}: {exc}") from None
        self.folder = folder
        self.name = f"{folder.name}-{model_fingerprint(folder)}"
        dim = self.model.get_embedding_dimension()
        if not dim:
            raise ModelError(f"[index] model: {folder} does not say its embedding dimension")
        self.dim = int(dim)
        self.tokenizer: Any = self.model.tokenizer
        self._char_map: CharMap | None = None
        self._full: Any = None  # the on-disk tokenizer, loaded when a text needs it
        if (folder / STAMP).is_file() and self.tokenizer.is_fast:
            self._char_map = char_map_of(self.tokenizer.backend_tokenizer)
            if self._char_map is not None and self._char_map.rest is not None:
                self.tokenizer.backend_tokenizer.normalizer = self._char_map.rest
        prompts = self.model.prompts or {}
        self._query_prompt = "query" if prompts.get("query") else None
        self._document_prompt = next((p for p in ("document", "passage") if prompts.get(p)), None)
        prompt_tokens = max((self.count_tokens(text) for text in prompts.values() if text), default=0)
        specials = len(self.tokenizer("", add_special_tokens=True)["input_ids"]) - len(
            self.tokenizer("", add_special_tokens=False)["input_ids"]
        )
        self.max_seq_length = int(self.model.max_seq_length or 512)
        self.max_tokens = self.max_seq_length - prompt_tokens - specials

    def encode(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        """One L2-normalized float32 row per text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encode = self.model.encode_query if query else self.model.encode_document
        prompt = self._query_prompt if query else self._document_prompt
        mapped, full = self._mapped(texts)
        if full:
            return self._encode_full(texts, prompt)
        vectors = encode(
            mapped, prompt_name=prompt, batch_size=BATCH_SIZE, convert_to_numpy=True,
            normalize_embeddings=True, show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        """Model tokens ``text`` takes, without prompt and special tokens."""
        return len(self.token_ids(text))

    def token_ids(self, text: str, *, special: bool = False) -> list[int]:
        """The model's token ids for ``text`` (framed by ``<s>``/``</s>`` if ``special``)."""
        mapped, full = self._mapped([text])
        if full:
            return list(self._full_tokenizer().encode(text, add_special_tokens=special).ids)
        return list(self.tokenizer(mapped[0], add_special_tokens=special)["input_ids"])

    def _mapped(self, texts: Sequence[str]) -> tuple[list[str], bool]:
        """``texts`` through the per-codepoint map, and whether one needs the full tokenizer."""
        if self._char_map is None:
            return list(texts), False
        mapped = [self._char_map.apply(text) for text in texts]
        return mapped, any(self._char_map.needs_full(*pair) for pair in zip(texts, mapped, strict=True))

    def _full_tokenizer(self) -> Any:
        if self._full is None:
            from tokenizers import Tokenizer

            self._full = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        return self._full

    def _encode_full(self, texts: Sequence[str], prompt: str | None) -> np.ndarray:
        """Encode with the full on-disk tokenizer, padding and truncating as sentence-transformers does."""
        import torch

        prefix = ((self.model.prompts or {}).get(prompt) if prompt else None) or ""
        rows = [self._full_tokenizer().encode(prefix + text).ids for text in texts]
        rows = [ids if len(ids) <= self.max_seq_length else ids[: self.max_seq_length - 1] + ids[-1:]
                for ids in rows]
        width = max(len(ids) for ids in rows)
        pad = int(self.tokenizer.pad_token_id)
        features = {
            "input_ids": torch.tensor([ids + [pad] * (width - len(ids)) for ids in rows]),
            "attention_mask": torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids in rows]),
        }
        with torch.inference_mode():
            vectors = self.model(features)["sentence_embedding"]
        return np.ascontiguousarray(vectors.numpy(), dtype=np.float32)
