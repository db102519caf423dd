"""Settings: the one reader of ``config.toml`` (``Section``, used for ``[index]`` here and for
``[bot]`` and its webhook keys in ``bot/settings.py``), and the index's own settings.

Precedence: environment over file over default. Relative paths are resolved against the folder
of the config file. A bad value raises ``ConfigError`` naming the key or the variable.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .errors import ConfigError
from .formats import Limits

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "config.toml"

INDEX_TYPES = ("auto", "flat", "hnsw")
BACKENDS = ("onnx", "torch")
ONNX_WEIGHTS = ("int8-embedding", "int8", "float32")
VECTOR_STORES = ("faiss", "qdrant")


@dataclass(frozen=True)
class IndexConfig:
    corpus_dir: Path
    data_dir: Path
    model: str = "multilingual-e5-small"  # a known model name or a sentence-transformers folder
    model_cache: Path = ROOT / ".cache" / "models"
    backend: str = "onnx"  # onnx: onnxruntime on an exported copy of the model; torch: sentence-transformers
    onnx_weights: str = "int8-embedding"  # which exported ONNX file the onnx backend serves
    threads: int = 0  # threads one encoding may use; 0: one per core
    max_passage_tokens: int = 256  # longer paragraphs are split into sentence windows
    window_overlap: int = 1  # sentences shared by neighbouring windows
    top_k: int = 3
    threshold: float | None = None  # answer probability from which a passage is the answer;
    #                                 None: the value fitted with the scorer (``judge.py``)
    index_type: str = "auto"  # auto: exact below hnsw_min_passages, HNSW above
    vector_store: str = "faiss"  # faiss: a file per generation; qdrant: a collection per generation
    qdrant_url: str = ""  # a Qdrant server; empty: qdrant-client's local mode in data_dir/qdrant
    qdrant_collection: str = "story"  # collections are named <this>-<generation>
    hnsw_min_passages: int = 50_000  # exact search costs ~20 ms at 100k passages on 2 cores
    max_question_chars: int = 1000
    batch_wait_ms: float = 2.0  # micro-batching window for concurrent questions
    max_document_bytes: int = 20 * 1024 * 1024  # Telegram's bots download at most 20 MB
    follow_seconds: float = 5.0  # how often a running bot looks for an index another process published
    max_pages: int = 2000  # a longer PDF is refused
    extract_seconds: float = 120.0  # reading one document may take this long
    max_unpacked_bytes: int = 200 * 1024 * 1024  # a Word/OpenDocument file unpacking to more is refused
    allow_private_urls: bool = False  # links to loopback/private addresses: only for tests and intranets
    fetch_timeout: float = 10.0  # seconds to connect, and between two reads, when fetching a link
    fetch_seconds: float = 60.0  # the whole fetch of one link, redirects included

    def vector_store_identity(self) -> str:
        """How a generation's manifest names where its vectors are (``faiss``, ``qdrant [url]``)."""
        return "faiss" if self.vector_store == "faiss" else ("qdrant " + self.qdrant_url).strip()

    def limits(self) -> Limits:
        """What reading one document may cost."""
        return Limits(self.max_pages, self.extract_seconds, self.max_unpacked_bytes)


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


class Section:
    """One table of the config file with the environment: environment over file over default.

    Every value is read through a parser ``parse(raw, where) -> value`` that raises ``ConfigError``
    naming where the value came from (``[bot] webhook_port`` or ``TELEGRAM_WEBHOOK_URL``);
    ``finish`` refuses keys nobody read (a typo is an error, not a silent default).
    """

    def __init__(self, name: str, table: object, env: Mapping[str, str] | None = None,
                 base: Path = ROOT) -> None:
        if not isinstance(table, Mapping):
            raise ConfigError(f"[{name}] must be a table")
        self.name, self.table, self.base = name, table, base
        self.env = os.environ if env is None else env
        self._read: set[str] = set()

    def value(self, key: str, parse: Parser[T], default: T, *, env: str = "", in_file: bool = True) -> T:
        """The environment variable ``env`` if set, else the file's ``key``, else ``default``.
        With ``in_file=False`` the key is a secret that the file must not hold."""
        self._read.add(key)
        if env and self.env.get(env, "").strip():
            return parse(self.env[env], env)
        if key not in self.table:
            return default
        if not in_file:
            raise ConfigError(f"[{self.name}] {key} must not be in the config file: set {env}")
        return parse(self.table[key], f"[{self.name}] {key}")

    def from_env(self, env: str, parse: Parser[T], default: T) -> T:
        """An environment variable alone (no file key)."""
        return parse(self.env[env], env) if self.env.get(env, "").strip() else default

    def finish(self) -> None:
        """``ConfigError`` naming the keys of the table that no setting read."""
        unknown = set(self.table) - self._read
        if unknown:
            raise ConfigError(f"[{self.name}] unknown setting(s): {', '.join(sorted(unknown))}")


Parser = Callable[[Any, str], T]


def from_environment(where: str) -> bool:
    """True if ``where`` names an environment variable, not a key of the file (``[table] key``)."""
    return not where.startswith("[")


def integer(minimum: int = 0) -> Parser[int]:
    """A whole number of at least ``minimum`` (TOML integers, or digits from the environment)."""

    def parse(value: Any, where: str) -> int:
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
        if isinstance(value, str) and from_environment(where) and value.strip().isdigit():
            number = int(value)
        if number is None or number < minimum:
            raise ConfigError(f"{where} must be an integer of at least {minimum}, got {value!r}")
        return number

    return parse


def number(low: float, high: float) -> Parser[float]:
    """A number between ``low`` and ``high``."""

    def parse(value: Any, where: str) -> float:
        try:
            result = float(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            result = None
        if result is None or not low <= result <= high:
            raise ConfigError(f"{where} must be a number between {low:g} and {high:g}, got {value!r}")
        return result

    return parse


def optional(parse: Parser[T]) -> Parser[T | None]:
    """``parse``, or None for an empty string (``threshold = ""``: the fitted default)."""

    def parse_optional(value: Any, where: str) -> T | None:
        return None if value == "" else parse(value, where)

    return parse_optional


def text(value: Any, where: str) -> str:
    """A non-empty string, stripped."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} must be a non-empty string, got {value!r}")
    return value.strip()


def optional_text(value: Any, where: str) -> str:
    """A string, possibly empty, stripped."""
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a string, got {value!r}")
    return value.strip()


def collection_name(value: Any, where: str) -> str:
    """Letters, digits, ``-`` and ``_`` (a Qdrant collection name prefix)."""
    if not isinstance(value, str) or not value or not all(c.isalnum() or c in "-_" for c in value):
        raise ConfigError(f"{where} must be letters, digits, - or _, got {value!r}")
    return value


def boolean(value: Any, where: str) -> bool:
    """true or false (``1``/``0``, ``true``/``false`` from the environment)."""
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "0", "false"):
        return value.strip().lower() in ("1", "true")
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false, got {value!r}")
    return value


def one_of(*choices: str) -> Parser[str]:
    def parse(value: Any, where: str) -> str:
        if value not in choices:
            raise ConfigError(f"{where} must be one of {', '.join(choices)}, got {value!r}")
        return str(value)

    return parse


def folder(base: Path) -> Parser[Path]:
    """A folder path; a relative one is taken from ``base`` (the config file's folder)."""

    def parse(value: Any, where: str) -> Path:
        if not isinstance(value, str | Path) or not str(value).strip():
            raise ConfigError(f"{where} must be a folder path, got {value!r}")
        path = Path(str(value).strip()).expanduser()
        return path if path.is_absolute() else base / path

    return parse


def index_config(
    table: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    base: Path = ROOT,
) -> IndexConfig:
    """The ``[index]`` settings from a table and the environment."""
    section = Section("index", table or {}, env, base)
    d, path = IndexConfig, folder(base)
    config = IndexConfig(
        corpus_dir=section.value("corpus_dir", path, ROOT / "corpus", env="CORPUS_DIR"),
        data_dir=section.value("data_dir", path, ROOT / "data", env="DATA_DIR"),
        model=section.value("model", text, d.model, env="EMBEDDING_MODEL"),
        model_cache=section.value("model_cache", path, d.model_cache, env="MODEL_CACHE"),
        backend=section.value("backend", one_of(*BACKENDS), d.backend, env="EMBEDDING_BACKEND"),
        onnx_weights=section.value("onnx_weights", one_of(*ONNX_WEIGHTS), d.onnx_weights),
        threads=section.value("threads", integer(0), d.threads, env="EMBEDDING_THREADS"),
        max_passage_tokens=section.value("max_passage_tokens", integer(16), d.max_passage_tokens),
        window_overlap=section.value("window_overlap", integer(0), d.window_overlap),
        top_k=section.value("top_k", integer(1), d.top_k),
        threshold=section.value("threshold", optional(number(0.0, 1.0)), d.threshold),
        index_type=section.value("index_type", one_of(*INDEX_TYPES), d.index_type),
        vector_store=section.value("vector_store", one_of(*VECTOR_STORES), d.vector_store,
                                   env="VECTOR_STORE"),
        qdrant_url=section.value("qdrant_url", optional_text, d.qdrant_url, env="QDRANT_URL"),
        qdrant_collection=section.value("qdrant_collection", collection_name, d.qdrant_collection),
        hnsw_min_passages=section.value("hnsw_min_passages", integer(0), d.hnsw_min_passages),
        max_question_chars=section.value("max_question_chars", integer(0), d.max_question_chars),
        batch_wait_ms=section.value("batch_wait_ms", number(0.0, 1000.0), d.batch_wait_ms),
        max_document_bytes=section.value("max_document_bytes", integer(1), d.max_document_bytes),
        follow_seconds=section.value("follow_seconds", number(0.0, 3600.0), d.follow_seconds),
        max_pages=section.value("max_pages", integer(1), d.max_pages),
        extract_seconds=section.value("extract_seconds", number(0.1, 86400.0), d.extract_seconds),
        max_unpacked_bytes=section.value("max_unpacked_bytes", integer(1), d.max_unpacked_bytes),
        allow_private_urls=section.value("allow_private_urls", boolean, d.allow_private_urls),
        fetch_timeout=section.value("fetch_timeout", number(0.01, 600.0), d.fetch_timeout),
        fetch_seconds=section.value("fetch_seconds", number(0.01, 3600.0), d.fetch_seconds),
    )
    section.finish()
    return config


def load_index_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> IndexConfig:
    """Read ``config.toml`` (or ``path``) and the environment into an ``IndexConfig``."""
    path = path or DEFAULT_CONFIG
    return index_config(load_toml(path).get("index", {}), env, base=path.resolve().parent)
