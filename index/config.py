"""Index settings: ``config.toml``'s ``[index]`` table, overridden by environment variables.

Precedence: environment over file over default. Relative paths are resolved against the folder
of the config file. A bad value raises ``ConfigError`` naming the key.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "config.toml"

# environment variable -> key in [index]
ENV_OVERRIDES = {
    "CORPUS_DIR": "corpus_dir",
    "DATA_DIR": "data_dir",
    "EMBEDDING_MODEL": "model",
    "MODEL_CACHE": "model_cache",
}

INDEX_TYPES = ("auto", "flat", "hnsw")


@dataclass(frozen=True)
class IndexConfig:
    corpus_dir: Path
    data_dir: Path
    model: str = "multilingual-e5-small"  # a known model name or a sentence-transformers folder
    model_cache: Path = ROOT / ".cache" / "models"
    max_passage_tokens: int = 256  # longer paragraphs are split into sentence windows
    window_overlap: int = 1  # sentences shared by neighbouring windows
    top_k: int = 3
    threshold: float = 0.5  # calibrated relevance below which the answer is "not in the story"
    index_type: str = "auto"  # auto: exact below hnsw_min_passages, HNSW above
    hnsw_min_passages: int = 50_000  # exact search costs ~20 ms at 100k passages on 2 cores
    max_question_chars: int = 1000
    batch_wait_ms: float = 2.0  # micro-batching window for concurrent questions
    max_document_bytes: int = 2 * 1024 * 1024


def load_toml(path: Path | None = None) -> dict[str, Any]:
    """Read a TOML config file; a missing default file is an empty config."""
    path = path or DEFAULT_CONFIG
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        if path == DEFAULT_CONFIG:
            return {}
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def _coerce(key: str, value: Any, default: Any, base: Path) -> Any:
    if isinstance(default, Path):
        if not isinstance(value, (str, Path)) or not str(value).strip():
            raise ConfigError(f"[index] {key} must be a folder path, got {value!r}")
        p = Path(str(value)).expanduser()
        return p if p.is_absolute() else (base / p)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"[index] {key} must be true or false, got {value!r}")
        return value
    if isinstance(default, int):
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"[index] {key} must be an integer, got {value!r}") from None
        if number < 0:
            raise ConfigError(f"[index] {key} must not be negative, got {number}")
        return number
    if isinstance(default, float):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"[index] {key} must be a number, got {value!r}") from None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"[index] {key} must be a non-empty string, got {value!r}")
    return value.strip()


def index_config(
    table: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    base: Path = ROOT,
) -> IndexConfig:
    """Build the settings from a ``[index]`` table and the environment."""
    table = dict(table or {})
    env = os.environ if env is None else env
    for var, key in ENV_OVERRIDES.items():
        if env.get(var):
            table[key] = env[var]
    defaults = {
        "corpus_dir": ROOT / "corpus",
        "data_dir": ROOT / "data",
        **{
            name: getattr(IndexConfig, name)
            for name in IndexConfig.__dataclass_fields__
            if name not in ("corpus_dir", "data_dir")
        },
    }
    unknown = set(table) - set(defaults)
    if unknown:
        raise ConfigError(f"[index] unknown setting(s): {', '.join(sorted(unknown))}")
    values = {
        key: _coerce(key, table[key], default, base) if key in table else default
        for key, default in defaults.items()
    }
    if values["index_type"] not in INDEX_TYPES:
        raise ConfigError(f"[index] index_type must be one of {INDEX_TYPES}, got {values['index_type']!r}")
    if not 0.0 <= values["threshold"] <= 1.0:
        raise ConfigError(f"[index] threshold must be between 0 and 1, got {values['threshold']}")
    if values["max_passage_tokens"] < 16:
        raise ConfigError("[index] max_passage_tokens must be at least 16")
    return IndexConfig(**values)


def load_index_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> IndexConfig:
    """Read ``config.toml`` (or ``path``) and the environment into an ``IndexConfig``."""
    path = path or DEFAULT_CONFIG
    data = load_toml(path)
    table = data.get("index", {})
    if not isinstance(table, dict):
        raise ConfigError("[index] must be a table")
    return index_config(table, env, base=path.resolve().parent)
