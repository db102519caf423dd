"""``GET /healthz``: whether the bot can answer, for a load balancer or an orchestrator.

Served on its own port (``[bot] health_port``, 0: off), beside the webhook endpoint, so a probe
never competes with Telegram's requests and needs no secret. It says 200 and ``"ok"`` with the
generation that serves while the index is open, 503 with ``"starting"`` before it is, and 503 with
``"draining"`` once a shutdown began (updates are no longer taken, answers in flight finish), so
a load balancer stops routing to this replica first.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import tornado.httpserver
import tornado.web

from .context import BotState

log = logging.getLogger(__name__)


class Health:
    """The state ``/healthz`` reports."""

    def __init__(self, state: BotState) -> None:
        self.state = state
        self.draining = False

    def drain(self) -> None:
        """A shutdown began: from now on ``/healthz`` says "draining"."""
        self.draining = True
        log.info("draining: no more updates are taken, answers in flight finish")

    def report(self) -> tuple[int, dict[str, Any]]:
        engine = self.state.engine
        if engine is None:
            return 503, {"status": "starting", "index": "closed"}
        try:
            version = engine.version
        except Exception:  # no generation open
            return 503, {"status": "starting", "index": "closed"}
        body = {"status": "draining" if self.draining else "ok", "index": "open", "generation": version}
        return (503 if self.draining else 200), body


class _HealthHandler(tornado.web.RequestHandler):
    def initialize(self, health: Health) -> None:
        self.health = health

    def get(self) -> None:
        status, body = self.health.report()
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(body))


def health_server(health: Health, listen: str, port: int) -> tornado.httpserver.HTTPServer:
    """A started HTTP server answering ``GET /healthz`` on ``listen:port`` (404 for anything else)."""
    app = tornado.web.Application([(r"/healthz", _HealthHandler, {"health": health})])
    server = tornado.httpserver.HTTPServer(app, xheaders=False)
    server.listen(port, address=listen)
    return server
