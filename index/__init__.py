"""The retrieval core: documents -> passages -> embeddings (FAISS) + keywords (FTS5) -> answers.

No Telegram here. The bot, the CLI (``python -m index``) and the benchmark use this API:

    from index import Engine, load_index_config
    engine = await Engine.open(load_index_config())
    answer = await engine.ask("Wer hat Durov festgenommen?")
    answer.answered, answer.hits[0].sentence, answer.hits[0].url
    report = await engine.rebuild()
    await engine.close()
"""

from .config import IndexConfig, index_config, load_index_config, load_toml
from .engine import Engine
from .errors import (
    BuildError,
    BuildInProgress,
    ConfigError,
    DocumentError,
    IndexError_,
    ModelError,
    UnknownDocument,
)
from .model import Embedder
from .models import Answer, BuildReport, Document, Hit, Passage, PassageContext

__all__ = [
    "Answer",
    "BuildError",
    "BuildInProgress",
    "BuildReport",
    "ConfigError",
    "Document",
    "DocumentError",
    "Embedder",
    "Engine",
    "Hit",
    "IndexConfig",
    "IndexError_",
    "ModelError",
    "Passage",
    "PassageContext",
    "UnknownDocument",
    "index_config",
    "load_index_config",
    "load_toml",
]
