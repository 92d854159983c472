"""Build ``ingest/demo/demo_posts.jsonl``, the invented posts ``ugc up`` replays on first run.

Run it with ``make demo`` (``python -m tools.demo.build_demo [--output PATH]``). Everything it
writes comes from ``corpus.toml`` next to it, which also tells the story the posts tell. The output
is fully determined by the corpus and its seed: re-running it reproduces the committed file byte
for byte (``tests/tools/test_demo_builder.py`` keeps it so).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from random import Random

from ingest.demo import demo_posts_path
from tools.demo.corpus import CORPUS_PATH, load_corpus
from tools.demo.posts import serialize, write
from tools.demo.report import validate
from tools.demo.story import Story


def build(output: Path, corpus_path: Path = CORPUS_PATH) -> list[str]:
    """Writes the demo file to ``output``; returns the summary of what it holds."""
    corpus = load_corpus(corpus_path)
    # One generator for every draw, in a fixed order: that is what makes the file reproducible.
    rng = Random(corpus.scenario.seed)
    drafts = Story(rng, corpus).draft_all()
    rows = serialize(rng, corpus, drafts)
    write(output, rows)
    return validate(output, rows, corpus)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.demo.build_demo", description=__doc__)
    parser.add_argument(
        "--output",
        type=Path,
        default=demo_posts_path(),
        help="where to write the JSONL (default: the file shipped in the ingest package)",
    )
    args = parser.parse_args(argv)
    for line in build(args.output):
        print(line)


if __name__ == "__main__":
    main()
