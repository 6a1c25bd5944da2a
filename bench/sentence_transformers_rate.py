"""Times sentence-transformers (PyTorch, fp32, CPU) on the texts bench/embed.ts sends, so the benchmark can
print the product's embedder next to the stack it replaces, on the same CPU, texts and rounds.

Protocol (one JSON document per line): argv[1] is the sentence-transformers model folder, argv[2] the batch
size. After loading (and one warm-up batch) it writes {"ready": true, "torch": <version>, "threads": <n>}.
Then, for every line {"texts": [...]} it reads on stdin, it embeds them with SentenceTransformer.encode
(which sorts each call's texts by length, as it always does) and answers {"seconds": <wall time>}.
It exits at end of input.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> int:
    folder, batch_size = sys.argv[1], int(sys.argv[2])
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(folder, device="cpu")
    model.encode(["warm-up"] * batch_size, batch_size=batch_size)
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        texts = json.loads(line)["texts"]
        started = time.perf_counter()
        model.encode(texts, batch_size=batch_size, normalize_embeddings=True)
        print(json.dumps({"seconds": time.perf_counter() - started}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
