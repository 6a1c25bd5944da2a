#!/usr/bin/env python3
"""Turn a sentence-transformers model folder into the folder layout transformers.js loads.

    python scripts/import_model.py --source <sentence-transformers folder> --out <folder> [--check]

Writes config.json, tokenizer files, onnx/model.onnx (fp32) and onnx/model_quantized.onnx
(dtype 'q8'). With --check it also writes parity.json: sentence-transformers' own embeddings
of 50 product titles, which the JS parity test compares against, and fails if onnxruntime +
mean pooling drifts from them. Runs offline: nothing is fetched from a model hub.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import warnings
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TITLES_CSV = REPO_ROOT / "datasets" / "walmart_amazon" / "tableB.csv"
PARITY_TITLE_COUNT = 50

# transformers.js needs these three; the weights may come in either format.
REQUIRED_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json")
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
# Copied when present: they let sentence-transformers (and people) reload the output folder.
OPTIONAL_FILES = (
    "special_tokens_map.json",
    "vocab.txt",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
)

# Opset 17 is read by every onnxruntime since 1.14, so onnxruntime-node 1.30 (transformers.js)
# and the Python onnxruntime used for the check both take it.
ONNX_OPSET = 17
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAME = "last_hidden_state"

# Same bars as core/embedding/embedder_parity_test.ts.
MIN_COSINE = {"fp32": 0.999, "q8": 0.99}


class ModelImportError(Exception):
    """A model folder that cannot be imported; the message is shown as is."""


def fail(source: Path, detail: str) -> ModelImportError:
    """The one error shape: names the folder, then what is wrong with it."""
    return ModelImportError(f'Cannot import model "{source}": {detail}')


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Reads the command line described in the module doc."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", required=True, type=Path, help="sentence-transformers model folder")
    parser.add_argument("--out", required=True, type=Path, help="folder to write (created if missing)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="write parity.json and compare onnxruntime to sentence-transformers",
    )
    parser.add_argument("--model-id", help="name recorded in parity.json (default: the source folder's name)")
    parser.add_argument(
        "--titles-csv", type=Path, default=DEFAULT_TITLES_CSV, help="CSV with a `title` column for --check"
    )
    return parser.parse_args(argv)


def check_source(source: Path) -> None:
    """Refuse early, with the missing piece named, rather than fail deep inside torch."""
    if not source.is_dir():
        raise fail(source, "not a folder")
    for name in REQUIRED_FILES:
        if not (source / name).is_file():
            raise fail(source, f"missing {name}")
    if not any((source / name).is_file() for name in WEIGHT_FILES):
        raise fail(source, f"missing {' or '.join(WEIGHT_FILES)}")
    # The JS side always calls the pipeline with pooling 'mean'; another pooling would make the
    # ONNX model silently disagree with sentence-transformers.
    pooling = source / "1_Pooling" / "config.json"
    if pooling.is_file() and not json.loads(pooling.read_text()).get("pooling_mode_mean_tokens"):
        raise fail(source, "1_Pooling/config.json is not mean pooling, which transformers.js is called with")


def max_seq_length(source: Path) -> int | None:
    """The truncation length sentence-transformers uses, if the folder says."""
    config = source / "sentence_bert_config.json"
    if not config.is_file():
        return None
    return json.loads(config.read_text()).get("max_seq_length")


def copy_support_files(source: Path, out: Path) -> None:
    """Copies config and tokenizer files; transformers.js reads them beside onnx/."""
    for name in REQUIRED_FILES + OPTIONAL_FILES:
        if (source / name).is_file():
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / name, out / name)
    # transformers.js truncates at tokenizer_config's model_max_length (512 here), while
    # sentence-transformers truncates at max_seq_length (256). Writing the smaller one keeps
    # long texts embedding the same on both sides.
    limit = max_seq_length(source)
    if limit:
        path = out / "tokenizer_config.json"
        config = json.loads(path.read_text())
        config["model_max_length"] = min(limit, config.get("model_max_length") or limit)
        path.write_text(json.dumps(config, indent=2) + "\n")


def export_onnx(source: Path, path: Path) -> None:
    """Exports the Hugging Face encoder (no pooling: transformers.js pools) to fp32 ONNX."""
    import torch
    from transformers import AutoModel

    # Eager attention exports as plain MatMul/Softmax, which quantize_dynamic and every
    # onnxruntime handle; SDPA's graph is harder to read for both.
    model = AutoModel.from_pretrained(source, attn_implementation="eager").eval()

    class LastHiddenState(torch.nn.Module):
        """Returns one tensor so the ONNX graph has exactly one output, named as transformers.js expects."""

        def __init__(self, inner: torch.nn.Module):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    dummy = torch.ones((2, 8), dtype=torch.long)
    axes = {name: {0: "batch_size", 1: "sequence_length"} for name in INPUT_NAMES}
    axes[OUTPUT_NAME] = {0: "batch_size", 1: "sequence_length"}
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad(), warnings.catch_warnings():
        # Known, checked notices that would bury the parity figures in CI logs: the legacy
        # exporter's deprecation, and tracer notes on shape checks that are constant for an
        # encoder (the --check run feeds other batch sizes and lengths than the dummy's 2x8).
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message="Exporting aten::index")
        # The legacy TorchScript exporter: one self-contained file, no onnxscript dependency,
        # and dynamic axes exactly as named above.
        torch.onnx.export(
            LastHiddenState(model),
            (dummy, dummy, torch.zeros_like(dummy)),
            str(path),
            input_names=list(INPUT_NAMES),
            output_names=[OUTPUT_NAME],
            dynamic_axes=axes,
            opset_version=ONNX_OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
    import onnx

    onnx.checker.check_model(str(path))


def quantize(fp32_path: Path, q8_path: Path) -> None:
    """Writes the dynamically quantized model that transformers.js loads for dtype 'q8'."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Measured on the 50 parity titles (min / mean cosine vs sentence-transformers):
    #   per-tensor QInt8 0.945 / 0.960, per-tensor QUInt8 0.967 / 0.980,
    #   per-channel QInt8 0.990 / 0.993 (on the bar), per-channel + fp32 FFN-out 0.994 / 0.996.
    # So: per-channel weights, and the six FFN output projections (1536 -> 384, fed by GELU's
    # long-tailed activations, the layers most hurt by 8 bits) stay fp32: 33.6 MB instead of 22.
    # QUInt8 scores the same as QInt8 here (0.9943 vs 0.9942), and onnxruntime's docs warn that
    # u8s8 (QInt8 weights) can saturate on x86 CPUs without VNNI; u8u8 cannot. transformers.js 'q8' only picks the file name, onnxruntime runs either.
    graph = onnx.load(str(fp32_path), load_external_data=False).graph
    keep_fp32 = [node.name for node in graph.node if node.op_type == "MatMul" and is_ffn_output(node.name)]
    quantize_dynamic(
        str(fp32_path),
        str(q8_path),
        weight_type=QuantType.QUInt8,
        per_channel=True,
        nodes_to_exclude=keep_fp32,
    )


def is_ffn_output(node_name: str) -> bool:
    """BERT names its FFN down-projection `layer.N/output/dense`; `attention/output/dense` is another layer."""
    return "/output/dense/" in node_name and "/attention/" not in node_name


def read_titles(csv_path: Path, count: int) -> list[str]:
    """The first `count` non-empty titles: real product text, short like what the app embeds."""
    if not csv_path.is_file():
        raise ModelImportError(f'Cannot read parity titles "{csv_path}": file not found')
    titles = []
    with csv_path.open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            title = (row.get("title") or "").strip()
            if title:
                titles.append(title)
            if len(titles) == count:
                return titles
    raise ModelImportError(
        f'Cannot read parity titles "{csv_path}": found {len(titles)} non-empty titles, need {count}'
    )


def reference_embeddings(source: Path, titles: list[str]):
    """The ground truth: sentence-transformers itself, normalised as the app stores vectors."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(source), device="cpu")
    return model.encode(titles, normalize_embeddings=True, convert_to_numpy=True)


def onnx_embeddings(out: Path, model_file: str, titles: list[str]):
    """Mean pooling + L2 normalisation over onnxruntime output: what transformers.js does."""
    import numpy as np
    import onnxruntime
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(out)
    batch = tokenizer(titles, padding=True, truncation=True, return_tensors="np")
    session = onnxruntime.InferenceSession(str(out / "onnx" / model_file), providers=["CPUExecutionProvider"])
    feeds = {name: batch[name].astype(np.int64) for name in INPUT_NAMES}
    (hidden,) = session.run([OUTPUT_NAME], feeds)
    mask = feeds["attention_mask"][..., None].astype(np.float32)
    pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def compare(reference, candidate) -> tuple[float, float]:
    """Min and mean cosine; both sides are unit vectors, so cosine is the row-wise dot product."""
    cosines = (reference * candidate).sum(axis=1)
    return float(cosines.min()), float(cosines.mean())


def write_parity(out: Path, model_id: str, titles: list[str], embeddings) -> None:
    """Ships titles and reference vectors inside the model folder, so later checks need no dataset."""
    parity = {
        "model": model_id,
        "titles": titles,
        "embeddings": [[float(x) for x in row] for row in embeddings],
    }
    (out / "parity.json").write_text(json.dumps(parity) + "\n")


def check(source: Path, out: Path, model_id: str, titles_csv: Path) -> bool:
    """Writes parity.json and prints (and judges) the fp32 and q8 cosines against it."""
    titles = read_titles(titles_csv, PARITY_TITLE_COUNT)
    reference = reference_embeddings(source, titles)
    write_parity(out, model_id, titles, reference)
    passed = True
    for dtype, model_file in (("fp32", "model.onnx"), ("q8", "model_quantized.onnx")):
        low, mean = compare(reference, onnx_embeddings(out, model_file, titles))
        ok = low >= MIN_COSINE[dtype]
        passed = passed and ok
        print(
            f"{dtype}: cosine vs sentence-transformers over {len(titles)} titles: min {low:.7f}, mean {mean:.7f}"
            f" ({'ok' if ok else 'FAIL'}, bar {MIN_COSINE[dtype]})"
        )
    return passed


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    source, out = args.source.resolve(), args.out.resolve()
    try:
        check_source(source)
        out.mkdir(parents=True, exist_ok=True)
        copy_support_files(source, out)
        print(f"exporting {source} -> {out / 'onnx' / 'model.onnx'} (opset {ONNX_OPSET})")
        export_onnx(source, out / "onnx" / "model.onnx")
        print(f"quantizing -> {out / 'onnx' / 'model_quantized.onnx'}")
        quantize(out / "onnx" / "model.onnx", out / "onnx" / "model_quantized.onnx")
        if args.check and not check(source, out, args.model_id or source.name, args.titles_csv):
            print(
                f'Cannot import model "{source}": ONNX embeddings drift from sentence-transformers',
                file=sys.stderr,
            )
            return 1
    except ModelImportError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
