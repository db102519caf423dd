# The story bot in a slim image. The steps are those of `make run`: install the pinned
# dependencies, prepare the embedding model, then start the bot (the index is built from the
# bundled corpus on first start into the data volume).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false \
    DATA_DIR=/data \
    MODEL_CACHE=/app/.cache/models

WORKDIR /app
RUN useradd --create-home --uid 10001 bot

COPY requirements.txt .
# torch's CPU build, then everything else at the pinned versions
RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
 && pip install --no-cache-dir -r requirements.txt

COPY config.toml pyproject.toml ./
COPY index ./index
COPY bot ./bot
COPY corpus ./corpus
# the prepared model lives inside the image; the corpus folder stays writable for admin uploads
RUN python -m index prepare-model \
 && mkdir -p /data && chown -R bot:bot /data /app/corpus

USER bot
VOLUME ["/data"]
# TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL and BOT_ADMIN_IDS come from the environment
CMD ["python", "-m", "bot", "run"]
