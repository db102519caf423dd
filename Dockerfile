# The story bot in a slim image. The steps are those of `make run`: install the pinned
# dependencies, prepare the embedding model (and its ONNX export), then start the bot (the index
# is built from the bundled corpus on first start into the data volume).
#
# Build arguments, all optional (the defaults build from Docker Hub's python image and PyPI):
#   BASE_IMAGE       any image with Python 3.11 and its venv module (Debian bookworm's python3 is 3.11)
#   PIP_INDEX_URL    the package index for everything but torch
#   TORCH_INDEX_URL  where torch's CPU build comes from (PyPI's own torch is the multi-GB CUDA build)
#   TORCH_WHEELS     instead: a folder holding the torch CPU wheel, mounted into the build
#   PIP_CERT         a CA bundle for pip (a network behind a TLS-inspecting proxy), mounted likewise
# README "Docker" has the commands that built and ran it with podman on a local base image.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ARG PIP_INDEX_URL=https://pypi.org/simple
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG TORCH_WHEELS=
ARG PIP_CERT

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false \
    DATA_DIR=/data \
    MODEL_CACHE=/app/.cache/models \
    PATH=/opt/venv/bin:$PATH

WORKDIR /app
RUN useradd --create-home --uid 10001 bot && python3 -m venv /opt/venv

COPY requirements.txt .
# torch's CPU build first, then everything else at the pinned versions
RUN if [ -n "$TORCH_WHEELS" ]; then \
      pip install --no-cache-dir --no-index --no-deps --find-links "$TORCH_WHEELS" torch==2.13.0; \
    else \
      pip install --no-cache-dir --index-url "$TORCH_INDEX_URL" torch==2.13.0; \
    fi \
 && pip install --no-cache-dir --index-url "$PIP_INDEX_URL" -r requirements.txt

COPY config.toml pyproject.toml ./
COPY index ./index
COPY bot ./bot
COPY corpus ./corpus
# the prepared model lives inside the image; the corpus folder stays writable for admin uploads
RUN python -m index prepare-model \
 && mkdir -p /data && chown -R bot:bot /data /app/corpus

USER bot
VOLUME ["/data"]
# TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL, BOT_ADMIN_IDS and DATABASE_URL come from the environment
CMD ["python", "-m", "bot", "run"]
