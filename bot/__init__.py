"""The Telegram front end of the story bot: ask in a chat, get the story's passages with sources.

    python -m bot run | chat | ask "question"

``bot.app.build_application`` builds the ``Application``; ``bot.render`` turns the index's answers
into Telegram HTML or plain text; ``bot.settings`` reads ``config.toml`` and the environment.
"""
