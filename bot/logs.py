"""Logging for the bot: one format, quiet HTTP libraries, and the bot token redacted everywhere.

The token is part of every Bot API URL, so any library that logs a URL or an exception text could
leak it. ``redact_secret`` wraps the log record factory: every record, from any logger, has the
secret replaced before any handler or filter sees it.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

REDACTED = "[TOKEN]"


class Redactor(logging.Filter):
    """Replaces each registered secret in a record's message and traceback text."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call: leave it to the handler to report
            return True
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


REDACTOR = Redactor()


class _RedactingFactory:
    """A log record factory that passes every new record through ``REDACTOR``."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = self.inner(*args, **kwargs)
        REDACTOR.filter(record)
        return record


def redact_secret(secret: str) -> None:
    """Keep ``secret`` out of every log record from now on (idempotent)."""
    if not secret:
        return
    REDACTOR.secrets.add(secret)
    if not isinstance(logging.getLogRecordFactory(), _RedactingFactory):
        logging.setLogRecordFactory(_RedactingFactory(logging.getLogRecordFactory()))


def setup_logging(verbose: bool = False, *, quiet: bool = False) -> None:
    """Log to stderr (unless logging is set up already): DEBUG if ``verbose``, WARNING if ``quiet``,
    else INFO; HTTP client libraries only from WARNING (their INFO lines carry URLs)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(REDACTOR)
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, handlers=[handler])
    for name in ("httpx", "httpcore", "tornado.access"):
        logging.getLogger(name).setLevel(logging.WARNING)
