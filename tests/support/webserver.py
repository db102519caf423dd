"""A small web server on 127.0.0.1 for the link tests: pages with ETags, redirects, errors, a
server that never answers, one that never stops sending, and wrong content types.

``pages`` maps a path to ``(content type, body)`` and may be changed while it runs (a page that
changes between two ``/reload``s). ``requests`` records ``(path, If-None-Match)`` of each request.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Site:
    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, bytes]] = {}
        self.redirects: dict[str, str] = {}
        self.requests: list[tuple[str, str]] = []
        self.release = threading.Event()  # set at shutdown: the silent handler then returns
        self.url = ""

    def etag(self, path: str) -> str:
        return '"' + hashlib.sha256(self.pages[path][1]).hexdigest()[:16] + '"'


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def _send(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
            self.send_response(status)
            for key, value in {"Content-Length": str(len(body)), **headers}.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            path = self.path
            site.requests.append((path, self.headers.get("If-None-Match", "")))
            if path in site.redirects:
                self._send(302, {"Location": site.redirects[path]})
            elif path.startswith("/hops/"):
                left = int(path.rsplit("/", 1)[1])
                self._send(302, {"Location": f"/hops/{left - 1}" if left > 0 else "/article"})
            elif path == "/missing":
                self._send(404, {"Content-Type": "text/plain"}, b"not found")
            elif path == "/broken":
                self._send(500, {"Content-Type": "text/plain"}, b"server error")
            elif path == "/silent":
                site.release.wait(30)
            elif path == "/endless":
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                chunk = b"<p>" + b"x" * 65536 + b"</p>"
                try:
                    while not site.release.is_set():
                        self.wfile.write(chunk)
                except OSError:  # the client hung up, as it should
                    pass
            elif path in site.pages:
                content_type, body = site.pages[path]
                tag = site.etag(path)
                if self.headers.get("If-None-Match") == tag:
                    self._send(304, {"ETag": tag})
                else:
                    self._send(200, {"Content-Type": content_type, "ETag": tag}, body)
            else:
                self._send(404, {"Content-Type": "text/plain"}, b"not found")

    return Handler


@contextmanager
def serving() -> Iterator[Site]:
    """A running ``Site`` on a free port of 127.0.0.1; stopped on exit."""
    site = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    site.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
