#!/bin/sh
# Start Ollama, pull the small instruct model on the first start (kept in the volume), keep serving.
set -e
ollama serve &
server=$!
until ollama list >/dev/null 2>&1; do sleep 1; done
ollama list | grep -q "^${OLLAMA_MODEL}" || ollama pull "$OLLAMA_MODEL"
wait "$server"
