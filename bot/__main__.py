"""Command line for the bot.

    python -m bot run              # Telegram long polling (terminal chat if no token is set)
    python -m bot run --webhook    # Telegram POSTs updates to the bot (see bot/webhook.py)
    python -m bot chat             # terminal chat: the same answers, as plain text
    python -m bot ask "question"   # print one answer

The index is built from the corpus on first start if it does not exist.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .app import EngineFactory

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

NO_TOKEN = """\
TELEGRAM_BOT_TOKEN is not set, so the bot cannot connect to Telegram.
To run it on Telegram: create a bot with @BotFather, then
    export TELEGRAM_BOT_TOKEN=123456789:your-token
    make run
(For a self-hosted Bot API server also set TELEGRAM_API_BASE_URL, e.g. http://127.0.0.1:8081/bot.)
Starting the terminal chat instead: type a question, or "quit" to leave.
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, help="config file (default: config.toml at the project root)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    parser.add_argument("--lang", help="language of the terminal texts (default: from LANG)")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="answer on Telegram by long polling (or --webhook)")
    run.add_argument("--webhook", action="store_true",
                     help="receive updates on an HTTP endpoint instead ([bot] webhook_* settings)")
    sub.add_parser("chat", help="answer questions typed in the terminal")
    ask = sub.add_parser("ask", help="print the answer to one question")
    ask.add_argument("question", help="the question (quote it)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, engine_factory: EngineFactory | None = None) -> int:
    """Run a command; returns the process exit code. ``engine_factory`` replaces the real index."""
    args = parse_args(argv)
    from telegram import Update  # imported late: --help stays fast
    from telegram.error import InvalidToken, TelegramError

    from index import IndexError_

    from . import i18n, terminal
    from .app import build_application, open_engine
    from .logs import REDACTOR, setup_logging
    from .settings import load_settings

    setup_logging(args.verbose, quiet=args.command != "run")  # the terminal shows answers, not logs
    factory = engine_factory or open_engine
    try:
        settings = load_settings(args.config)
        lang = i18n.language(args.lang) if args.lang else terminal.terminal_language()
        if args.command == "ask":
            print(terminal.ask(settings.index, args.question, lang, factory))
        elif args.command == "chat" or not settings.token:
            if args.command == "run":
                print(NO_TOKEN, file=sys.stderr)
            terminal.chat(settings.index, lang, factory)
        else:
            application = build_application(settings, engine_factory=factory)
            if args.webhook:
                from .webhook import run_webhook

                run_webhook(application, settings.webhook)
            else:
                application.run_polling(allowed_updates=Update.ALL_TYPES)
    except IndexError_ as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except InvalidToken:  # its message repeats the token
        print("error: the Bot API server rejected TELEGRAM_BOT_TOKEN; check it with @BotFather",
              file=sys.stderr)
        return 2
    except TelegramError as exc:  # the Bot API server could not be used at start
        print(f"error: the Bot API server failed: {REDACTOR.redact(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
