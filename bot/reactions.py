"""Reactions as feedback: a 👍 or 👎 reaction on one of the bot's answers counts like the buttons
under it, and taking the reaction back takes the vote back.

Telegram sends ``message_reaction`` updates for private chats, and for groups where the bot is an
administrator. A reaction on any other message, an anonymous one (no user) or another emoji is
ignored without a reply.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import ReactionType, ReactionTypeEmoji, Update

from .context import BotContext

log = logging.getLogger(__name__)
VOTES = {"👍": 1, "👎": -1}


def vote_of(reactions: Sequence[ReactionType]) -> int:
    """+1 for a 👍, -1 for a 👎 among ``reactions`` (the last one wins), 0 for neither."""
    votes = [VOTES[r.emoji] for r in reactions if isinstance(r, ReactionTypeEmoji) and r.emoji in VOTES]
    return votes[-1] if votes else 0


async def on_reaction(update: Update, context: BotContext) -> None:
    """Record, change or withdraw the vote a reaction on an answer expresses."""
    reaction = update.message_reaction
    if reaction is None or reaction.user is None:
        return
    query_id = await context.querylog.answer_of_message(reaction.chat.id, reaction.message_id)
    if query_id is None:
        return
    before, after = vote_of(reaction.old_reaction), vote_of(reaction.new_reaction)
    if after:
        await context.querylog.record_vote(query_id, reaction.user.id, after)
    elif before:
        await context.querylog.remove_vote(query_id, reaction.user.id)
    log.info("reaction vote %+d on answer %s by user %s", after, query_id, reaction.user.id)
