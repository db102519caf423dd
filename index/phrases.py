"""Reference messages the answering judgement compares a question with (encoded once at start).

- ``SMALL_TALK``: greetings, thanks, chit-chat and requests no document serves (jokes, weather,
  the time), in several languages. They are the small-talk class that ``python -m index fit``
  learns from, and at serving time a message's closeness to them is one of its features. The story
  question set (``tests/data/story_questions.jsonl``) holds other small-talk messages, so the
  judgement is measured on messages it was not fitted on.
- ``WHOLE_STORY``: questions about a document as a whole ("What is this story about?"), answered
  with the document's lead.
- ``WHO_WHAT``: the words of a "who is …" / "what is …" question in several languages; such a
  question about a name of the document's title or lead asks for the whole story too.
- ``SPECIFIC``: question words that ask for a particular fact (who, where, when, which, how): a
  question opening with one is never taken as one about the whole story.
"""

from __future__ import annotations

SMALL_TALK: tuple[str, ...] = (
    # English
    "Hi", "Hello", "Hey", "Hey there!", "Good morning", "Good night", "Yo", "Howdy",
    "Thanks", "Thank you", "Thanks a lot!", "Cheers", "Great, thanks", "OK", "Okay cool", "Nice",
    "How are you?", "How's it going?", "What's up?", "Are you there?", "Is anyone there?",
    "Who are you?", "What are you?", "What's your name?", "Are you human?", "Are you a bot?",
    "What can you do?", "Can you help me?", "I have a question", "Help", "Test",
    "Tell me a joke", "Say something funny", "Make me laugh", "Sing me a song", "Write me a poem",
    "What time is it?", "What's the date today?", "What day is it?",
    "What's the weather today?", "Will it rain tomorrow?", "How hot is it outside?",
    "I'm bored", "I love you", "You are stupid", "Goodbye", "See you later", "lol", "haha",
    "Play a game with me", "Recommend a movie", "Order me a pizza", "Set an alarm for 7",
    # German
    "Hallo", "Hi du", "Servus", "Moin", "Guten Tag", "Guten Abend", "Gute Nacht", "Na?",
    "Danke", "Vielen Dank!", "Dankeschön", "Super, danke", "Alles klar", "Okay", "Prima",
    "Wie geht's?", "Wie geht es Ihnen?", "Was geht?", "Bist du da?", "Ist da jemand?",
    "Wer bist du?", "Was bist du?", "Wie heißt du?", "Bist du ein Mensch?", "Bist du ein Roboter?",
    "Was kannst du alles?", "Kannst du mir helfen?", "Ich habe eine Frage", "Hilfe",
    "Erzähl einen Witz", "Sag was Lustiges", "Bring mich zum Lachen", "Sing mir ein Lied",
    "Wie viel Uhr ist es?", "Welcher Tag ist heute?", "Welches Datum haben wir?",
    "Wie ist das Wetter?", "Regnet es morgen?", "Wie warm ist es draußen?",
    "Mir ist langweilig", "Ich mag dich", "Du bist doof", "Auf Wiedersehen", "Bis später", "Tschö",
    "Spiel ein Spiel mit mir", "Empfiehl mir einen Film", "Bestell mir eine Pizza",
    # French, Spanish, Italian, Portuguese, Dutch
    "Salut", "Bonsoir", "Merci", "Ça va ?", "Comment tu t'appelles ?", "Raconte-moi une blague",
    "Quelle heure est-il ?", "Au revoir",
    "Hola", "Buenos días", "Muchas gracias", "¿Cómo estás?", "¿Quién eres?", "Cuéntame un chiste",
    "¿Qué hora es?", "Adiós",
    "Buongiorno", "Grazie mille", "Come va?", "Chi sei?", "Raccontami una barzelletta", "Arrivederci",
    "Olá", "Obrigado", "Como vai?", "Bom dia", "Hoi", "Dank je wel", "Hoe gaat het?", "Tot ziens",
    # Turkish, Russian, Polish, Arabic, Greek, Vietnamese, Hindi, Romanian, Thai
    "Selam", "Teşekkürler", "Nasılsın?", "Sen kimsin?", "Günaydın",
    "Здравствуйте", "Как дела?", "Кто ты?", "Расскажи анекдот", "Пока",
    "Dzień dobry", "Dziękuję", "Jak się masz?",
    "مرحبا", "شكرا", "كيف حالك؟", "Γεια σου", "Ευχαριστώ", "Τι κάνεις;",
    "Xin chào", "Cảm ơn", "Bạn khỏe không?", "नमस्ते", "धन्यवाद", "आप कैसे हैं?",
    "Salut, ce faci?", "Mulțumesc", "สวัสดี", "ขอบคุณ",
)

WHOLE_STORY: tuple[str, ...] = (
    "What is this story about?", "What is the article about?", "What is it about?",
    "What happened?", "Summarize the article", "Give me a summary", "What's the story?",
    "What is the news?", "Tell me about this story", "What does the text say?",
    "Worum geht es?", "Worum geht es in dem Artikel?", "Worum geht es in der Geschichte?",
    "Was ist passiert?", "Was ist los?", "Fass den Artikel zusammen", "Gib mir eine Zusammenfassung",
    "Was steht in dem Text?", "Was ist die Nachricht?", "Erzähl mir von der Geschichte",
    "De quoi parle l'article ?", "Que s'est-il passé ?", "Résume l'article",
    "¿De qué trata el artículo?", "¿Qué pasó?", "Resume la noticia",
    "Di cosa parla l'articolo?", "Cosa è successo?", "Sobre o que é a notícia?",
    "Waar gaat het artikel over?", "Haber ne anlatıyor?", "Ne oldu?", "О чём статья?", "Что случилось?",
)

SPECIFIC = frozenset(
    """who whom whose where when which how why wer wen wem wessen wo wohin woher wann welche welcher
    welches welchen wie warum weshalb wieso qui où quand comment pourquoi quién dónde cuándo cómo
    chi dove quando come perché kim nerede ne zaman nasıl кто где когда как почему""".split()
)

WHO_WHAT = frozenset(
    """who whos is was what whats wer ist war was qui est c'est quoi quién es qué chi è cosa kim kimdir
    nedir ne кто такой такая что это quem é o que wie wat is kto jest co to""".split()
)
