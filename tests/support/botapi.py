"""A local Bot API stand-in: a small HTTP server on 127.0.0.1 speaking enough of Telegram's Bot API
for the bot to run against it over real HTTP.

Tests push updates (``api.text(...)``, ``api.sticker(...)``, ``api.push(update)``) which the bot
receives by long-polling ``getUpdates``; every method call the bot makes is recorded, and
``await api.next_calls("sendMessage", chat_id=..., n=2)`` waits (with a timeout, no sleeping) for the
next calls of a method. ``api.fail(method, status=..., retry_after=...)`` makes the next calls fail.
Messages in HTML parse mode are checked like Telegram does (known tags, balanced, escaped text,
at most 4096 characters of visible text).
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web

TIMEOUT = 30.0  # generous: the machine is shared
BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Story Bot", "username": "story_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": True}
STRING_PARAMS = {"text", "parse_mode", "callback_query_id", "inline_query_id", "file_id", "action",
                 "language_code", "url", "caption", "next_offset", "inline_message_id", "secret_token"}
HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
             "span", "tg-spoiler", "tg-emoji", "blockquote"}
_TAG = re.compile(r"<(/?)([a-zA-Z-]+)(\s[^<>]*)?>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


class ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after


@dataclass
class Call:
    """One Bot API call the bot made."""

    method: str
    params: dict[str, Any]
    status: int = 200
    result: Any = None
    plain: str = ""  # visible text of a sent/edited message (HTML parsed)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return value if isinstance(value, int) else None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def message(self) -> dict[str, Any]:
        """The sent message as Telegram hands it back (in a reply or a button press)."""
        result = self.result
        return {"message_id": result["message_id"], "date": 0, "chat": result["chat"],
                "from": result["from"], "text": self.plain}

    @property
    def buttons(self) -> dict[str, str]:
        """Button text -> callback data of the sent message's keyboard."""
        markup = self.params.get("reply_markup") or {}
        return {b["text"]: b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row}


@dataclass
class Fault:
    status: int
    description: str
    retry_after: int | None
    times: int
    delay: float = 0.0  # seconds the server holds the call before failing it (a timeout)
    accepted: bool = False  # the call is carried out first and only its response is held back


def parse_html(text: str) -> str:
    """The visible text of Telegram HTML; ``ApiError`` 400 where Telegram would refuse it."""
    stack: list[str] = []
    pos = 0
    for match in _TAG.finditer(text):
        _check_text(text[pos : match.start()])
        closing, name = match.group(1), match.group(2).lower()
        if name not in HTML_TAGS:
            raise ApiError(400, f"Bad Request: can't parse entities: unsupported start tag \"{name}\"")
        if not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            raise ApiError(400, f"Bad Request: can't parse entities: unmatched end tag \"{name}\"")
        pos = match.end()
    _check_text(text[pos:])
    if stack:
        raise ApiError(400, f"Bad Request: can't parse entities: unclosed start tag \"{stack[-1]}\"")
    return html.unescape(_TAG.sub("", text))


def _check_text(chunk: str) -> None:
    if "<" in chunk or ">" in chunk:
        raise ApiError(400, "Bad Request: can't parse entities: unescaped < or >")
    if "&" in _ENTITY.sub("", chunk):
        raise ApiError(400, "Bad Request: can't parse entities: unescaped &")


def settled(call: Call) -> bool:
    """True unless ``call`` edits a status message to a progress text ("Reading page 2/5…")."""
    from bot import i18n

    progress = [i18n.text(lang, key, done=0, total=0).split(" 0/")[0]
                for lang in i18n.TEXTS for key in ("progress_reading", "progress_embedding")]
    return not call.plain.startswith(tuple(progress))


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class BotApi:
    """The stand-in server. ``await start()``, point the bot at ``base_url``, ``await stop()``."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.files: dict[str, tuple[str, bytes]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.faults: dict[str, list[Fault]] = {}
        self.port = 0
        self._changed = asyncio.Event()  # set and replaced whenever calls or updates change
        self._cursors: dict[tuple[str, int | None], int] = {}
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._closing = False
        self._server: tornado.httpserver.HTTPServer | None = None

    # -- server -----------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self, port: int = 0) -> None:
        """Listen on ``port`` (0: a free one); after ``stop()`` the same port starts it again."""
        self._closing = False
        app = tornado.web.Application(
            [(r"/bot([^/]+)/(\w+)", _MethodHandler, {"api": self}),
             (r"/file/bot([^/]+)/(.+)", _FileHandler, {"api": self})],
            log_function=lambda handler: None,  # the access log would contain the token
        )
        sockets = tornado.netutil.bind_sockets(port, "127.0.0.1")
        self.port = sockets[0].getsockname()[1]
        self._server = tornado.httpserver.HTTPServer(app)
        self._server.add_sockets(sockets)

    async def stop(self) -> None:
        self._closing = True
        self._notify()
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()

    # -- what tests do ----------------------------------------------------------------------------
    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for the bot's next getUpdates; returns it with its update_id."""
        update = {"update_id": next(self._update_ids), **update}
        self.updates.append(update)
        self._notify()
        return update

    def user(self, user_id: int, language_code: str | None = "en") -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        if language_code:
            user["language_code"] = language_code
        return user

    def message(
        self, user_id: int, *, language_code: str | None = "en", chat_id: int | None = None,
        chat_type: str = "private", **content: Any,
    ) -> dict[str, Any]:
        """Push a message update from ``user_id``; ``content`` is e.g. text=..., sticker={...}."""
        chat_id = user_id if chat_id is None else chat_id
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        chat.update({"first_name": f"User{user_id}"} if chat_type == "private" else {"title": "Group"})
        self.chats[chat_id] = chat
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                   "from": self.user(user_id, language_code), **content}
        return self.push({"message": message})["message"]

    def press(self, user_id: int, data: str, message: dict[str, Any], query_id: str | None = None,
              language_code: str = "en") -> str:
        """Push a button press by ``user_id`` on ``message``; returns the callback query id."""
        query_id = query_id or f"cq-{next(self._query_ids)}"
        self.push({"callback_query": {"id": query_id, "from": self.user(user_id, language_code),
                                      "chat_instance": "ci", "data": data, "message": message}})
        return query_id

    def text(self, user_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
        """Push a text message; a leading /command gets its bot_command entity."""
        content: dict[str, Any] = {"text": text}
        command = re.match(r"/[A-Za-z0-9_]+(@\w+)?", text)
        if command:
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": command.end()}]
        return self.message(user_id, **content, **kwargs)

    def sticker(self, user_id: int, **kwargs: Any) -> dict[str, Any]:
        sticker = {"file_id": "sticker-1", "file_unique_id": "s1", "type": "regular", "width": 512,
                   "height": 512, "is_animated": False, "is_video": False, "emoji": "🙂"}
        return self.message(user_id, sticker=sticker, **kwargs)

    def add_file(self, data: bytes, name: str = "file.txt") -> str:
        """Make a file downloadable through getFile; returns its file_id."""
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = (f"documents/{file_id}-{name}", data)
        return file_id

    def fail(self, method: str, *, status: int = 500, description: str = "Internal Server Error",
             retry_after: int | None = None, times: int = 1, delay: float = 0.0,
             accepted: bool = False) -> None:
        """Make the next ``times`` calls of ``method`` fail with ``status`` (429: retry_after),
        each after holding it ``delay`` seconds (longer than the client waits: a timeout). With
        ``accepted`` the call is carried out and recorded as a success, and only its response
        is held ``delay`` seconds: a timeout after Telegram accepted the message."""
        if status == 429 and retry_after is not None:
            description = f"Too Many Requests: retry after {retry_after}"
        fault = Fault(status, description, retry_after, times, delay, accepted)
        self.faults.setdefault(method, []).append(fault)

    def calls_of(self, method: str, chat_id: int | None = None, *, failed: bool = False) -> list[Call]:
        """Recorded calls of ``method`` (to ``chat_id``), successful ones unless ``failed``."""
        return [c for c in self.calls if c.method == method and (chat_id is None or c.chat_id == chat_id)
                and (failed or c.status == 200)]

    async def next_calls(self, method: str, chat_id: int | None = None, n: int = 1,
                         seconds: float = TIMEOUT) -> list[Call]:
        """Wait for the next ``n`` successful calls of ``method`` (to ``chat_id``) not returned before."""
        key = (method, chat_id)
        start = self._cursors.get(key, 0)
        if not await self._wait(lambda: len(self.calls_of(method, chat_id)) >= start + n, seconds):
            seen = [(c.method, c.chat_id, c.status, c.text[:50]) for c in self.calls[-20:]]
            raise AssertionError(f"no {n} {method} call(s) to {chat_id} within {seconds}s; calls: {seen}")
        self._cursors[key] = start + n
        return self.calls_of(method, chat_id)[start : start + n]

    async def next_matching(self, method: str, chat_id: int | None, matches: Callable[[Call], bool],
                            seconds: float = TIMEOUT) -> Call:
        """Wait for the next successful call of ``method`` (to ``chat_id``) that ``matches``; the
        calls before it are passed over (a status message's progress edits, say)."""
        key = (method, chat_id)
        start = self._cursors.get(key, 0)

        def found() -> int | None:
            calls = self.calls_of(method, chat_id)
            return next((i for i in range(start, len(calls)) if matches(calls[i])), None)

        if not await self._wait(lambda: found() is not None, seconds):
            seen = [(c.method, c.chat_id, c.status, c.text[:50]) for c in self.calls[-20:]]
            raise AssertionError(f"no matching {method} call to {chat_id} within {seconds}s; calls: {seen}")
        index = found()
        assert index is not None
        self._cursors[key] = index + 1
        return self.calls_of(method, chat_id)[index]

    # -- what the bot does ------------------------------------------------------------------------
    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait(self, predicate: Callable[[], bool], seconds: float) -> bool:
        async def until() -> None:
            while not predicate():
                await self._changed.wait()

        try:
            await asyncio.wait_for(until(), seconds)
        except TimeoutError:
            return False
        return True

    async def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        call = Call(method, params)
        try:
            held = await self._inject_fault(method)
            call.result = await self._dispatch(method, params, call)
            if held:
                self.calls.append(call)
                self._notify()
                await asyncio.sleep(held)  # the client gives up waiting: the answer was delivered
                return call.status, {"ok": True, "result": call.result}
            body: dict[str, Any] = {"ok": True, "result": call.result}
        except ApiError as exc:
            call.status = exc.status
            body = {"ok": False, "error_code": exc.status, "description": exc.description}
            if exc.retry_after is not None:
                body["parameters"] = {"retry_after": exc.retry_after}
        self.calls.append(call)
        self._notify()
        return call.status, body

    async def _inject_fault(self, method: str) -> float:
        """Fail the call as the next fault says; returns the seconds to hold an accepted one (0)."""
        faults = self.faults.get(method)
        if faults:
            fault = faults[0]
            fault.times -= 1
            if fault.times <= 0:
                faults.pop(0)
            if fault.accepted:
                return fault.delay
            if fault.delay:
                await asyncio.sleep(fault.delay)
            raise ApiError(fault.status, fault.description, fault.retry_after)
        return 0.0

    async def _dispatch(self, method: str, params: dict[str, Any], call: Call) -> Any:
        simple: dict[str, Callable[[], Any]] = {
            "getMe": lambda: BOT_USER, "deleteWebhook": lambda: True, "setMyCommands": lambda: True,
            "setWebhook": lambda: True, "deleteMyCommands": lambda: True, "answerCallbackQuery": lambda: True,
            "answerInlineQuery": lambda: True, "sendChatAction": lambda: True, "close": lambda: True,
            "getMyCommands": lambda: [], "setMyDescription": lambda: True,
            "setMyShortDescription": lambda: True,
        }
        if method in simple:
            return simple[method]()
        if method == "getUpdates":
            return await self._get_updates(params)
        if method in ("sendMessage", "editMessageText"):
            return self._message(method, params, call)
        if method == "getFile":
            file_id = params.get("file_id", "")
            if file_id not in self.files:
                raise ApiError(400, "Bad Request: invalid file_id")
            path, data = self.files[file_id]
            return {"file_id": file_id, "file_unique_id": file_id, "file_size": len(data), "file_path": path}
        raise ApiError(404, "Not Found: method not found")

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if timeout > 0:
            await self._wait(lambda: bool(self.updates) or self._closing, timeout)
        return self.updates[:limit]

    def _message(self, method: str, params: dict[str, Any], call: Call) -> Any:
        text = str(params.get("text", ""))
        plain = parse_html(text) if str(params.get("parse_mode", "")).upper() == "HTML" else text
        if not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(plain) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        call.plain = plain
        if "inline_message_id" in params:
            return True
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        chat = self.chats.get(chat_id, {"id": chat_id, "type": "private", "first_name": "User"})
        message_id = params.get("message_id") if method == "editMessageText" else next(self._message_ids)
        result: dict[str, Any] = {"message_id": message_id, "date": int(time.time()), "chat": chat,
                                  "from": BOT_USER, "text": plain}
        if method == "editMessageText":
            result["edit_date"] = int(time.time())
        if "reply_markup" in params:
            result["reply_markup"] = params["reply_markup"]
        return result


def _decode(key: str, raw: str) -> Any:
    if key in STRING_PARAMS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


class _MethodHandler(tornado.web.RequestHandler):
    def initialize(self, api: BotApi) -> None:
        self.api = api

    async def _serve(self, token: str, method: str) -> None:
        if token != self.api.token:
            status, body = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        else:
            params = {k: _decode(k, self.get_argument(k)) for k in self.request.arguments}
            is_json = self.request.headers.get("Content-Type", "").startswith("application/json")
            if is_json and self.request.body:
                params.update(json.loads(self.request.body))
            for name, files in self.request.files.items():
                params[name] = files[0]["body"]
            status, body = await self.api.handle(method, params)
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    async def get(self, token: str, method: str) -> None:
        await self._serve(token, method)

    async def post(self, token: str, method: str) -> None:
        await self._serve(token, method)


class _FileHandler(tornado.web.RequestHandler):
    def initialize(self, api: BotApi) -> None:
        self.api = api

    def get(self, token: str, path: str) -> None:
        found = [data for p, data in self.api.files.values() if p == path]
        if token != self.api.token or not found:
            raise tornado.web.HTTPError(404)
        self.finish(found[0])
