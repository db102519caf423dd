"""The bot's texts: one table of strings per language, picked by Telegram's ``language_code``.

Adding a language is adding one table to ``TEXTS`` with the same keys as ``"en"`` (a test checks
that). Texts are plain text with ``str.format`` placeholders; the renderer escapes and styles them.
"""

from __future__ import annotations

from typing import Any

DEFAULT = "en"

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "greeting": "Hello! I answer questions about:",
        "how_to_ask": (
            "Just write your question as a message, in any language, e.g. “{example}”. "
            "I reply with the passage of the text that answers it, the answering sentence in bold, "
            "and its source. /help shows more."
        ),
        "example": "How many users does Telegram have?",
        "description": (
            "I answer questions about a news story and the documents my admins add, with the "
            "documents' own sentences and their sources. Ask in any language."
        ),
        "short_description": "Answers from the story itself, with sources.",
        "examples": "Where was Durov arrested?|How many users does Telegram have?|In which countries was "
                    "Telegram blocked?",
        "small_talk": "I answer questions about the documents I know, with their own sentences and sources. "
                      "Try for example:",
        "unsure": "I'm not sure the story answers this. These passages come closest:",
        "lead_prefix": "What the story is about:",
        "inline_unsure": "Not sure: closest passages below. Tap to ask me directly.",
        "help": (
            "Ask me anything about the documents below by writing a normal message. "
            "I search the text and show the passage that answers best, with the answering sentence "
            "in bold and its source (title, paragraph, link), plus further relevant passages. "
            "If the text does not answer your question, I say so."
        ),
        "commands_header": "Commands:",
        "admin_commands_header": "For admins:",
        "cmd_start": "greeting and what I know about",
        "cmd_help": "how to ask, what the commands do",
        "cmd_sources": "the documents I answer from",
        "cmd_reload": "rescan the corpus folder and rebuild the index",
        "sources_header": "Documents I answer from:",
        "sources_empty": "No documents are indexed yet.",
        "passages": "{count} passages",
        "paragraph": "paragraph {number}",
        "source_prefix": "Source:",
        "more_header": "Further passages:",
        "not_in_story": "That is not in the story: none of its passages answers your question.",
        "closest": "The closest passage I found, which does not seem to answer it:",
        "shortened": "Your question was long, so I only searched its first {chars} characters.",
        "truncated": "[…] (shortened)",
        "cannot_do": (
            "I can only read text questions. Send me a question about the story as a message, "
            "e.g. “{example}”. /help shows what I can do."
        ),
        "unknown_command": "I don't know that command. /help lists what I can do.",
        "not_admin": "Sorry, only admins may use /{command}.",
        "reload_started": "Reloading the corpus…",
        "reload_running": "Already reloading; the current reload has to finish first.",
        "reload_done": (
            "Reloaded in {seconds:.1f} s: {documents} documents, {passages} passages; "
            "{added} added, {changed} changed, {removed} removed."
        ),
        "reload_skipped": "Skipped {name}: {reason}",
        "reload_failed": "Reload failed; the previous index keeps serving. Reason: {reason}",
        "error": "Sorry, something went wrong on my side. Please try again.",
        "btn_more": "More passages",
        "btn_context": "Show context",
        "open_context": "🔎 in context",
        "follow_up_of": "Understood as a follow-up to: {question}",
        "pinned_answer": "📌 An admin chose this passage for questions like yours.",
        "cmd_gaps": "the questions the documents did not answer, grouped, and the pins",
        "cmd_pin": "reply to one of my answers: /pin <question> answers such questions with it",
        "pin_usage": (
            "Reply to one of my answers with /pin <question>: questions like it will get that passage."
        ),
        "pin_not_an_answer": "That is not one of my answers (or its passage is gone); reply to an answer.",
        "pin_done": "📌 Pinned: questions like “{question}” are answered with {title}, {where}.",
        "pin_removed": "Pin removed.",
        "btn_unpin": "📌 Remove “{question}”",
        "gaps_header": "Not answered in the last 7 days: {questions} questions in {groups} groups",
        "gaps_none": "none — every question was answered.",
        "pins_header": "Pins",
        "pins_none": "none yet (reply /pin <question> to an answer)",
        "passage_gone": "That passage is no longer available.",
        "btn_confirm": "Remove",
        "btn_cancel": "Cancel",
        "expired": "This answer has expired. Please ask again.",
        "no_more": "There are no further passages.",
        "more_title": "Passages {first}–{last} for “{question}”:",
        "context_title": "The passage with the paragraphs before and after it:",
        "vote_recorded": "Thanks for your feedback!",
        "vote_changed": "Your vote was changed.",
        "vote_unchanged": "You already voted like this.",
        "group_hint": "Ask me with /ask followed by your question, or mention me with your question.",
        "inline_hint": "Type a question about the story",
        "inline_not_found": "Not in the story. Tap to ask me directly.",
        "inline_wait": "Please wait {seconds} s before asking again",
        "rate_limited": "You are asking very quickly. Please wait {seconds} seconds, then ask again.",
        "upload_too_large": "I cannot add {name}: it is {size} bytes, the limit is {limit} bytes.",
        "upload_rejected": "I could not add {name}: {reason}",
        "upload_added": (
            "Added “{title}” (id {doc_id}) with {passages} passages; "
            "I answer from it now. The index has {documents} documents."
        ),
        "remove_usage": "Usage: /remove <document id>. /sources lists the ids.",
        "remove_unknown": "There is no document with the id {doc_id}. /sources lists the ids.",
        "remove_confirm": "Remove “{title}” (id {doc_id}, {passages} passages) from the index?",
        "remove_cancelled": "Cancelled; nothing was removed.",
        "remove_not_yours": "Only the admin who asked for this removal can confirm it.",
        "remove_done": "Removed {doc_id}. The index now has {documents} documents, {passages} passages.",
        "cmd_ask": "ask a question (in groups)",
        "cmd_remove": "remove a document: /remove <id>",
        "cmd_stats": "usage statistics",
        "admin_upload_hint": (
            "Send a PDF, Word (.docx, .odt), web page (.html), .txt or .md file to add it (caption: "
            "“Title | https://link”, optional), or a link (/add <url>, or just the link)."
        ),
        "cmd_add": "add a web page or document by its link: /add <url>",
        "add_usage": "Usage: /add <https://link>, or send just the link.",
        "upload_working": "Reading {name}…",
        "link_working": "Fetching {url}…",
        "link_rejected": "I could not add {url}: {reason}",
        "progress_reading": "Reading page {done}/{total}…",
        "progress_embedding": "Embedding {done}/{total} passages and sentences…",
        "reload_links": "Links fetched again: {unchanged} unchanged, {updated} updated, {failed} failed.",
        "reload_link_failed": "{doc_id} kept its old text: {reason}",
        "page_paragraph": "page {page}, paragraph {number}",
        "pages": "{count} pages",
        "btn_remove": "🗑 Remove {title}",
        "kind_text": "text", "kind_markdown": "Markdown", "kind_html": "web page", "kind_pdf": "PDF",
        "kind_docx": "Word", "kind_odt": "OpenDocument", "kind_link": "link",
        "stats_header": "Usage",
        "stats_questions": "Questions: {today} today (UTC), {week} in the last 7 days",
        "stats_users": "Distinct users (7 days): {users}",
        "stats_answered": (
            "Answered: {answered} ({answered_pct} %) · not "
            "in the story: {unanswered} ({unanswered_pct} %)"
        ),
        "stats_latency": "Answer time: median {median} ms, p95 {p95} ms",
        "stats_votes": "Feedback (7 days): 👍 {up} · 👎 {down}",
        "stats_top": "Most frequent questions (7 days):",
        "stats_unanswered": "Latest questions the story did not answer:",
        "stats_none": "none yet",
    },
    "de": {
        "greeting": "Hallo! Ich beantworte Fragen zu:",
        "how_to_ask": (
            "Schreib mir deine Frage einfach als Nachricht, in jeder Sprache, z. B. „{example}“. "
            "Ich antworte mit der Stelle im Text, die sie beantwortet, den passenden Satz fett, "
            "und mit der Quelle. /help zeigt mehr."
        ),
        "example": "Wie viele Nutzer hat Telegram?",
        "description": (
            "Ich beantworte Fragen zu einer Nachrichtengeschichte und den Dokumenten, die meine Admins "
            "hinzufügen – mit den eigenen Sätzen der Dokumente und ihren Quellen. Frag in jeder Sprache."
        ),
        "short_description": "Antworten aus der Geschichte selbst, mit Quellen.",
        "examples": "Wo wurde Durov festgenommen?|Wie viele Nutzer hat Telegram?|In welchen Ländern war "
                    "Telegram gesperrt?",
        "small_talk": "Ich beantworte Fragen zu den Dokumenten, die ich kenne – mit ihren eigenen Sätzen und "
                      "Quellen. Frag zum Beispiel:",
        "unsure": (
            "Ich bin nicht sicher, ob die Geschichte das beantwortet. Diese Stellen kommen am nächsten:"
        ),
        "lead_prefix": "Worum es in der Geschichte geht:",
        "inline_unsure": "Nicht sicher: die nächsten Stellen unten. Tippe hier, um mich direkt zu fragen.",
        "help": (
            "Frag mich etwas zu den Dokumenten unten, indem du eine normale Nachricht schreibst. "
            "Ich durchsuche den Text und zeige die Stelle, die am besten antwortet, mit dem "
            "passenden Satz in Fettschrift und der Quelle (Titel, Absatz, Link), dazu weitere "
            "passende Stellen. Wenn der Text deine Frage nicht beantwortet, sage ich das."
        ),
        "commands_header": "Befehle:",
        "admin_commands_header": "Für Admins:",
        "cmd_start": "Begrüßung und worüber ich Bescheid weiß",
        "cmd_help": "wie man fragt, was die Befehle tun",
        "cmd_sources": "die Dokumente, aus denen ich antworte",
        "cmd_reload": "Korpus-Ordner neu einlesen und den Index neu bauen",
        "sources_header": "Dokumente, aus denen ich antworte:",
        "sources_empty": "Es sind noch keine Dokumente im Index.",
        "passages": "{count} Abschnitte",
        "paragraph": "Absatz {number}",
        "source_prefix": "Quelle:",
        "more_header": "Weitere Stellen:",
        "not_in_story": (
            "Das steht nicht in der Geschichte: keine ihrer Stellen beantwortet deine Frage."
        ),
        "closest": "Die ähnlichste Stelle, die die Frage aber wohl nicht beantwortet:",
        "shortened": "Deine Frage war lang, ich habe nur ihre ersten {chars} Zeichen gesucht.",
        "truncated": "[…] (gekürzt)",
        "cannot_do": (
            "Ich kann nur Fragen als Text lesen. Schick mir eine Frage zur Geschichte als "
            "Nachricht, z. B. „{example}“. /help zeigt, was ich kann."
        ),
        "unknown_command": "Diesen Befehl kenne ich nicht. /help zeigt, was ich kann.",
        "not_admin": "Tut mir leid, /{command} dürfen nur Admins verwenden.",
        "reload_started": "Lese den Korpus neu ein…",
        "reload_running": "Ich lade schon neu; das laufende Neuladen muss erst fertig werden.",
        "reload_done": (
            "Neu geladen in {seconds:.1f} s: {documents} Dokumente, {passages} Abschnitte; "
            "{added} neu, {changed} geändert, {removed} entfernt."
        ),
        "reload_skipped": "Übersprungen: {name}: {reason}",
        "reload_failed": "Neuladen fehlgeschlagen; der bisherige Index antwortet weiter. Grund: {reason}",
        "error": "Entschuldigung, bei mir ist etwas schiefgegangen. Bitte versuch es noch einmal.",
        "btn_more": "Weitere Stellen",
        "btn_context": "Kontext zeigen",
        "open_context": "🔎 im Zusammenhang",
        "follow_up_of": "Verstanden als Nachfrage zu: {question}",
        "pinned_answer": "📌 Ein Admin hat diese Stelle für Fragen wie deine ausgewählt.",
        "cmd_gaps": "die Fragen, die die Dokumente nicht beantworten, gruppiert, und die Pins",
        "cmd_pin": "als Antwort auf eine meiner Antworten: /pin <Frage> beantwortet solche Fragen damit",
        "pin_usage": (
            "Antworte auf eine meiner Antworten mit /pin <Frage>: ähnliche Fragen bekommen diese Stelle."
        ),
        "pin_not_an_answer": "Das ist keine meiner Antworten (oder ihre Stelle gibt es nicht mehr).",
        "pin_done": "📌 Gepinnt: Fragen wie „{question}“ beantworte ich mit {title}, {where}.",
        "pin_removed": "Pin entfernt.",
        "btn_unpin": "📌 „{question}“ entfernen",
        "gaps_header": "Unbeantwortet in den letzten 7 Tagen: {questions} Fragen in {groups} Gruppen",
        "gaps_none": "keine — jede Frage wurde beantwortet.",
        "pins_header": "Pins",
        "pins_none": "noch keine (antworte /pin <Frage> auf eine Antwort)",
        "passage_gone": "Diese Stelle gibt es nicht mehr.",
        "btn_confirm": "Entfernen",
        "btn_cancel": "Abbrechen",
        "expired": "Diese Antwort ist abgelaufen. Bitte frag noch einmal.",
        "no_more": "Es gibt keine weiteren Stellen.",
        "more_title": "Stellen {first}–{last} zu „{question}“:",
        "context_title": "Die Stelle mit den Absätzen davor und danach:",
        "vote_recorded": "Danke für deine Rückmeldung!",
        "vote_changed": "Deine Bewertung wurde geändert.",
        "vote_unchanged": "So hast du schon bewertet.",
        "group_hint": "Frag mich mit /ask und deiner Frage, oder erwähne mich mit deiner Frage.",
        "inline_hint": "Tippe eine Frage zur Geschichte",
        "inline_not_found": "Steht nicht in der Geschichte. Tippe hier, um mich direkt zu fragen.",
        "inline_wait": "Bitte warte {seconds} s, bevor du wieder fragst",
        "rate_limited": "Du fragst sehr schnell. Bitte warte {seconds} Sekunden und frag dann noch einmal.",
        "upload_too_large": (
            "Ich kann {name} nicht hinzufügen: die Datei "
            "hat {size} Bytes, erlaubt sind {limit} Bytes."
        ),
        "upload_rejected": "Ich konnte {name} nicht hinzufügen: {reason}",
        "upload_added": (
            "„{title}“ (ID {doc_id}) mit {passages} Abschnitten hinzugefügt; "
            "ich antworte ab jetzt daraus. Der Index hat {documents} Dokumente."
        ),
        "remove_usage": "So geht's: /remove <Dokument-ID>. /sources zeigt die IDs.",
        "remove_unknown": "Es gibt kein Dokument mit der ID {doc_id}. /sources zeigt die IDs.",
        "remove_confirm": "„{title}“ (ID {doc_id}, {passages} Abschnitte) aus dem Index entfernen?",
        "remove_cancelled": "Abgebrochen; nichts wurde entfernt.",
        "remove_not_yours": "Nur der Admin, der das Entfernen verlangt hat, kann es bestätigen.",
        "remove_done": "{doc_id} entfernt. Der Index hat jetzt {documents} Dokumente, {passages} Abschnitte.",
        "cmd_ask": "eine Frage stellen (in Gruppen)",
        "cmd_remove": "ein Dokument entfernen: /remove <ID>",
        "cmd_stats": "Nutzungsstatistik",
        "admin_upload_hint": (
            "Schick eine PDF-, Word- (.docx, .odt), Webseiten- (.html), .txt- oder .md-Datei, um sie "
            "aufzunehmen (Bildunterschrift: „Titel | https://link“, optional), oder einen Link "
            "(/add <url> oder nur den Link)."
        ),
        "cmd_add": "eine Webseite oder ein Dokument per Link aufnehmen: /add <url>",
        "add_usage": "So geht's: /add <https://link>, oder schick nur den Link.",
        "upload_working": "Ich lese {name}…",
        "link_working": "Ich lade {url}…",
        "link_rejected": "Ich konnte {url} nicht aufnehmen: {reason}",
        "progress_reading": "Lese Seite {done}/{total}…",
        "progress_embedding": "Bette {done}/{total} Abschnitte und Sätze ein…",
        "reload_links": (
            "Links neu geladen: {unchanged} unverändert, {updated} aktualisiert, {failed} fehlgeschlagen."
        ),
        "reload_link_failed": "{doc_id} behält seinen alten Text: {reason}",
        "page_paragraph": "Seite {page}, Absatz {number}",
        "pages": "{count} Seiten",
        "btn_remove": "🗑 {title} entfernen",
        "kind_text": "Text", "kind_markdown": "Markdown", "kind_html": "Webseite", "kind_pdf": "PDF",
        "kind_docx": "Word", "kind_odt": "OpenDocument", "kind_link": "Link",
        "stats_header": "Nutzung",
        "stats_questions": "Fragen: {today} heute (UTC), {week} in den letzten 7 Tagen",
        "stats_users": "Verschiedene Nutzer (7 Tage): {users}",
        "stats_answered": (
            "Beantwortet: {answered} ({answered_pct} %) · nicht "
            "in der Geschichte: {unanswered} ({unanswered_pct} %)"
        ),
        "stats_latency": "Antwortzeit: Median {median} ms, p95 {p95} ms",
        "stats_votes": "Rückmeldungen (7 Tage): 👍 {up} · 👎 {down}",
        "stats_top": "Häufigste Fragen (7 Tage):",
        "stats_unanswered": "Letzte Fragen, die die Geschichte nicht beantwortet:",
        "stats_none": "noch keine",
    },
}


def language(code: str | None) -> str:
    """The table to use for a Telegram ``language_code`` ("de-AT" -> "de"; unknown -> English)."""
    if not code:
        return DEFAULT
    base = code.strip().lower().replace("_", "-").split("-")[0]
    return base if base in TEXTS else DEFAULT


def text(lang: str, key: str, **values: Any) -> str:
    """The string ``key`` in ``lang`` (English if the language lacks it), formatted with ``values``."""
    table = TEXTS.get(lang, TEXTS[DEFAULT])
    template = table.get(key, TEXTS[DEFAULT][key])
    return template.format(**values) if values else template


def has(lang: str, key: str) -> bool:
    """True if ``key`` is in the table (of ``lang`` or the default language)."""
    return key in TEXTS.get(lang, {}) or key in TEXTS[DEFAULT]
