"""Scoring speed and memory: the default scoring path against a naive baseline, same weights.

- default: ``Scorer.score_texts`` on batches of ``--batch-size`` posts, as the stream worker
  calls it (one encoder pass per batch gives every score).
- naive baseline: what a first attempt with ``transformers`` looks like, a ``pipeline`` called
  once per post per task (sentiment, offensive, hate) on the same encoder and heads.

Texts are the demo posts (realistic lengths), cycled to ``--posts``. Each path runs in its own
process so that its peak memory (max RSS) is its own. Prints posts/s, peak RSS and the ratio.

It also prints the encoder's floating-point ceiling on this machine: the posts/s its matrix
products alone would allow if they ran at the CPU's peak (measured with torch on the encoder's
own shapes, in bf16 where the CPU has it, else fp32), with nothing else costing anything. No
floating-point path can pass it, so it tells a slow path from a slow machine; an int8 path
(ONNX Runtime, the default on CPUs without AMX) does integer products and may come close.

In one process it also times the encoder alone on the same batches: the rest of the time per
post is everything around it (language detection, GARM terms and prototypes, heads, results).

The default path is measured twice: as ``--workers`` single-threaded processes (default: one
per core; what ``ugc up`` runs by default and docker-compose's classify replicas are), each
scoring its share of the posts at the same time, posts/s being all posts over the wall time from
the first start to the last finish; and as one process with ``--threads`` threads (one
``ugc classify worker`` using every core).

Usage: python bench/classify_speed.py [--posts 1024] [--baseline-posts 128] [--threads 2]
       [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TASKS = ("sentiment", "offensive", "hate")


def demo_texts(count: int) -> list[str]:
    from ingest.demo import demo_posts_path
    from ingest.sources.replay import iter_posts

    texts = [post.text for post in iter_posts(demo_posts_path())]
    return [texts[i % len(texts)] for i in range(count)]


def run_default(
    posts: int, batch_size: int | None, threads: int, start_file: str | None = None
) -> dict[str, Any]:
    from classify.precision import resolve
    from classify.scoring import Scorer
    from classify.settings import ClassifySettings

    settings = ClassifySettings(torch_threads=threads)
    if batch_size is not None:
        settings = settings.model_copy(update={"batch_size": batch_size})
    batch_size = settings.batch_size
    scorer = Scorer.from_settings(settings)
    runtime, precision = resolve(settings.model_runtime, settings.model_precision)
    texts = demo_texts(posts)
    scorer.score_texts(texts[:batch_size])  # warm-up
    if start_file:  # parallel workers: say ready, then start together
        Path(f"{start_file}.ready.{os.getpid()}").touch()
        while not Path(start_file).exists():
            time.sleep(0.01)
    wall_start = time.time()
    started = time.perf_counter()
    for i in range(0, len(texts), batch_size):
        scorer.score_texts(texts[i : i + batch_size])
    elapsed = time.perf_counter() - started
    result = {
        "posts_per_s": len(texts) / elapsed,
        "posts": len(texts),
        "batch_size": batch_size,
        "encoder": f"{runtime} {precision}",
        "wall_start": wall_start,
        "wall_end": wall_start + elapsed,
    }
    if not start_file:  # one process: also how much of the time the encoder alone takes
        # Batch by batch, the encoder alone next to the whole scoring, so that both see the
        # same moment of a VM whose speed drifts.
        encoder_s = scoring_s = 0.0
        for i in range(0, len(texts), batch_size):
            batch = texts[i : i + batch_size]
            started = time.perf_counter()
            scorer.encoder.embed(batch)
            encoder_s += time.perf_counter() - started
            started = time.perf_counter()
            scorer.score_texts(batch)
            scoring_s += time.perf_counter() - started
        result["encoder_ms_per_post"] = encoder_s / len(texts) * 1e3
        result["other_ms_per_post"] = max(scoring_s - encoder_s, 0.0) / len(texts) * 1e3
    return result


def encoder_flops(config: Any, tokens: int) -> float:
    """Floating-point operations of one BERT-style encoder pass over a post of ``tokens``
    tokens: the matrix products of every layer (Q, K, V, output, the two feed-forward ones)
    and the attention scores and mix. LayerNorm, GELU and softmax are left out."""
    hidden, inner, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    per_token = 2 * (4 * hidden * hidden + 2 * hidden * inner)
    attention = 2 * 2 * tokens * tokens * hidden
    return float(layers * (tokens * per_token + attention))


def run_ceiling(posts: int, threads: int) -> dict[str, Any]:
    """The most posts/s the encoder could reach here: its matrix products at this CPU's peak.

    The peak is measured with torch on the encoder's own feed-forward shapes (the largest
    products it runs), at the precision the scoring path resolves to, best of several runs.
    """
    import torch
    from transformers import AutoConfig, AutoTokenizer

    from classify.encoder import normalize_post_text, resolve_encoder
    from classify.heads import load_meta, resolve_heads_dir
    from classify.precision import resolve
    from classify.settings import ClassifySettings

    settings = ClassifySettings(torch_threads=threads)
    torch.set_num_threads(threads)
    _, precision = resolve("torch", settings.model_precision)
    dtype = torch.bfloat16 if precision == "bf16" else None
    location = resolve_encoder(settings.model_encoder)
    config = AutoConfig.from_pretrained(location)
    # Heads trained on the encoder's bottom layers cut it to them: count what actually runs.
    layers = load_meta(resolve_heads_dir(settings.model_heads)).encoder_layers
    config.num_hidden_layers = layers or config.num_hidden_layers
    texts = [normalize_post_text(t) for t in demo_texts(posts)]
    encoded = AutoTokenizer.from_pretrained(location)(
        texts, truncation=True, max_length=settings.max_length
    )
    lengths = [len(ids) for ids in encoded["input_ids"]]
    flops_per_post = sum(encoder_flops(config, n) for n in lengths) / len(lengths)
    rows, hidden, inner = 2048, config.hidden_size, config.intermediate_size
    best = 0.0
    for k, n in ((hidden, inner), (inner, hidden)):
        a = torch.randn(rows, k, dtype=dtype)
        b = torch.randn(k, n, dtype=dtype)
        for _ in range(3):
            a @ b
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(10):
                a @ b
            best = max(best, 10 * 2 * rows * k * n / (time.perf_counter() - started))
    return {
        "posts_per_s": best / flops_per_post,
        "gflops": best / 1e9,
        "mflops_per_post": flops_per_post / 1e6,
        "mean_tokens": sum(lengths) / len(lengths),
        "dtype": str(a.dtype).removeprefix("torch."),
    }


def run_naive(posts: int, threads: int) -> dict[str, Any]:
    import torch
    from transformers import PreTrainedModel, pipeline

    from classify.scoring import Scorer
    from classify.settings import ClassifySettings

    if threads:
        torch.set_num_threads(threads)
    # The naive baseline is what a first attempt looks like: the eager fp32 model in a pipeline.
    settings = ClassifySettings(
        torch_threads=threads, model_runtime="torch", model_precision="fp32", model_graph=False
    )
    scorer = Scorer.from_settings(settings)
    model = scorer.encoder.model
    if not isinstance(model, PreTrainedModel):
        sys.exit(f"the eager encoder is a {type(model).__name__}, not a transformers model")
    extract = pipeline(
        "feature-extraction",
        model=model,
        tokenizer=scorer.encoder.tokenizer,
    )
    texts = demo_texts(posts)

    def score_one(text: str) -> None:
        for _task in TASKS:
            tokens = torch.tensor(extract(text, truncation=True)[0])
            vector = torch.nn.functional.normalize(tokens.mean(dim=0, keepdim=True), dim=1)
            scorer.heads(vector)

    score_one(texts[0])  # warm-up
    started = time.perf_counter()
    with torch.inference_mode():
        for text in texts:
            score_one(text)
    elapsed = time.perf_counter() - started
    return {"posts_per_s": len(texts) / elapsed, "posts": len(texts)}


def _command(mode: str, posts: int, threads: int, args: argparse.Namespace) -> list[str]:
    return [
        sys.executable,
        __file__,
        "--child",
        mode,
        "--posts",
        str(posts),
        *(["--batch-size", str(args.batch_size)] if args.batch_size else []),
        "--threads",
        str(threads),
    ]


def _result(output: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def measure(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one path in a child process and return its figures with its peak RSS."""
    posts = args.baseline_posts if mode == "naive" else args.posts
    command = _command(mode, posts, args.threads, args)
    return _result(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def measure_workers(workers: int, args: argparse.Namespace) -> dict[str, Any]:
    """The default path as ``ugc up`` runs it: ``workers`` single-threaded processes at once."""
    share = args.posts // workers
    with tempfile.TemporaryDirectory() as tmp:
        start_file = Path(tmp) / "go"
        children = [
            subprocess.Popen(
                [*_command("default", share, 1, args), "--start-file", str(start_file)],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            for _ in range(workers)
        ]
        # Each child loads its model, warms up and says it is ready; then all start together.
        deadline = time.monotonic() + 300
        while len(list(Path(tmp).glob("go.ready.*"))) < workers:
            if time.monotonic() > deadline or any(c.poll() is not None for c in children):
                raise RuntimeError("a scoring worker did not get ready")
            time.sleep(0.05)
        start_file.touch()
        results = [_result(child.communicate()[0]) for child in children]
    wall = max(r["wall_end"] for r in results) - min(r["wall_start"] for r in results)
    return {
        "posts_per_s": share * workers / wall,
        "posts": share * workers,
        "workers": workers,
        "max_rss_mb": sum(r["max_rss_mb"] for r in results),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=1024)
    parser.add_argument("--baseline-posts", type=int, default=128)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="Posts per scoring call (default: UGC_BATCH_SIZE, as the stream worker takes them).",
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="Single-threaded worker processes measured together (default: one per core).",
    )
    parser.add_argument("--child", choices=["default", "naive", "ceiling"], default=None)
    parser.add_argument("--start-file", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        if args.child == "default":
            result = run_default(args.posts, args.batch_size, args.threads, args.start_file)
        elif args.child == "ceiling":
            result = run_ceiling(args.posts, args.threads)
        else:
            result = run_naive(args.posts, args.threads)
        result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return 0

    workers = args.workers or os.cpu_count() or 1
    default = measure("default", args)
    deployed = measure_workers(workers, args) if workers > 1 else None
    naive = measure("naive", args)
    ceiling = measure("ceiling", args)
    if deployed:
        print(
            f"default scoring path: {deployed['posts_per_s']:8.1f} posts/s "
            f"({deployed['posts']} demo posts, batch {default['batch_size']}, {workers} workers x "
            f"1 thread as `ugc up` runs them, encoder in {default['encoder']}), "
            f"peak RSS {deployed['max_rss_mb']:.0f} MB in all"
        )
    print(
        f"  one process:        {default['posts_per_s']:8.1f} posts/s "
        f"({default['posts']} demo posts, batch {default['batch_size']}, "
        f"{args.threads} threads), peak RSS {default['max_rss_mb']:.0f} MB"
    )
    print(
        f"    of which:          encoder {default['encoder_ms_per_post']:.2f} ms/post, everything "
        f"else {default['other_ms_per_post']:.2f} ms/post (language, GARM, heads, results)"
    )
    print(
        f"naive baseline:       {naive['posts_per_s']:8.1f} posts/s "
        f"({naive['posts']} demo posts, pipeline per post per task), "
        f"peak RSS {naive['max_rss_mb']:.0f} MB"
    )
    print(
        f"encoder ceiling:      {ceiling['posts_per_s']:8.1f} posts/s "
        f"(its matrix products alone, {ceiling['mflops_per_post']:.0f} MFLOP per post at "
        f"{ceiling['mean_tokens']:.1f} tokens, at this CPU's measured {ceiling['dtype']} peak of "
        f"{ceiling['gflops']:.0f} GFLOP/s on {args.threads} threads)"
    )
    if deployed:
        ratio = deployed["posts_per_s"] / naive["posts_per_s"]
        print(f"ratio default/naive:  {ratio:8.1f}x")
    print(f"ratio one process/naive: {default['posts_per_s'] / naive['posts_per_s']:5.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
