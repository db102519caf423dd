"""Errors the index raises that a caller may show to a person.

    IndexError_ (base; named with a trailing underscore so it never shadows the builtin)
    ├── ConfigError          a setting is missing or malformed; the message names the key
    ├── ModelError           the embedding model cannot be found or prepared
    ├── BuildError           a rebuild failed; the previous index keeps serving
    │   └── BuildInProgress  a rebuild is already running
    ├── DocumentError        an uploaded/added document was rejected; the message says why
    └── UnknownDocument      no document with that id

Anything else is a bug and is logged by the caller's error handler.
"""

from __future__ import annotations


class IndexError_(Exception):
    """Base class for errors the index reports to its callers."""


class ConfigError(IndexError_):
    """A setting is missing or malformed."""


class ModelError(IndexError_):
    """The embedding model cannot be loaded or prepared."""


class BuildError(IndexError_):
    """A rebuild failed; the previous index is still serving."""


class BuildInProgress(BuildError):
    """A rebuild is already running."""


class DocumentError(IndexError_):
    """A document was rejected (empty, binary, invalid UTF-8, too large, duplicate, ...)."""


class UnknownDocument(IndexError_):
    """No document has that id."""
