"""A tiny random BERT and a tiny labeled data directory, both written by the tests themselves.

Together they run the real training and scoring code paths in seconds, and prove that any
Hugging Face model directory works as the encoder.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch
from transformers import BertConfig, BertModel, BertTokenizer

from classify.train import train

POSITIVE = "love great happy thanks lovely amazing"
NEGATIVE = "hate awful sad broken worst angry"
NEUTRAL = "table report monday train weather meeting"
RUDE = "stupid idiot damn shut jerk"
KIND = "nice friendly kind coffee morning"
FILLER = "you your the a is are this my our"
WORDS = [
    word for group in (POSITIVE, NEGATIVE, NEUTRAL, RUDE, KIND, FILLER) for word in group.split()
]


def save_word_tokenizer(path: Path) -> None:
    """A BERT tokenizer whose vocabulary is the special tokens plus the test words."""
    vocab = path / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]) + "\n")
    BertTokenizer(vocab_file=str(vocab)).save_pretrained(path)


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 32-wide random BERT with its own word-level vocabulary, saved like any model."""
    path = tmp_path_factory.mktemp("tiny-bert")
    save_word_tokenizer(path)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(WORDS) + 5,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(path)  # type: ignore[no-untyped-call]  # HF __init__
    return path


def _sentences(words: str, count: int, *, offset: int = 0) -> list[str]:
    vocab = words.split()
    return [
        f"{vocab[(i + offset) % len(vocab)]} {vocab[(3 * i + 1 + offset) % len(vocab)]} the {i % 7}"
        for i in range(count)
    ]


def write_tiny_data(root: Path) -> Path:
    """The shared data layout with a few dozen rows per file, in the documented formats."""
    (root / "sentiment").mkdir(parents=True)
    (root / "safety").mkdir()
    rows = ["id\tlabel\tsource\ttext"]
    for label, words in (("positive", POSITIVE), ("negative", NEGATIVE), ("neutral", NEUTRAL)):
        rows += [
            f"{label}{i}\t{label}\t2013train\t{t}" for i, t in enumerate(_sentences(words, 20))
        ]
    # Re-published in the validation file with the handle masked: must not be trained on.
    rows.append("dup1\tpositive\t2016test\t@someone love great the 99")
    (root / "sentiment/semeval2013_2016_en.tsv").write_text("\n".join(rows) + "\n")
    val = ["label\ttext", "positive\t@user love great the 99"]
    for label, words in (("positive", POSITIVE), ("negative", NEGATIVE), ("neutral", NEUTRAL)):
        val += [f"{label}\t{t}" for t in _sentences(words, 8, offset=2)]
    (root / "sentiment/tweeteval_sentiment_val_en.tsv").write_text("\n".join(val) + "\n")
    for name, bad, good in (("offensive", RUDE, KIND), ("hate", NEGATIVE + " " + RUDE, KIND)):
        lines = ["split\tlabel\ttext"]
        for split, count, offset in (("train", 20, 0), ("val", 12, 1)):
            lines += [f"{split}\t{name}\t{t}" for t in _sentences(bad, count, offset=offset)]
            lines += [f"{split}\tnot_{name}\t{t}" for t in _sentences(good, count, offset=offset)]
        # A tab inside the text belongs to the text (split on the first tabs only).
        lines.append(f"train\t{name}\tyou\tstupid jerk")
        (root / f"safety/tweeteval_{name}_en.tsv").write_text("\n".join(lines) + "\n")
    with (root / "safety/davidson_hate_offensive_en.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["", "count", "hate_speech", "offensive_language", "neither", "class", "tweet"]
        )
        writer.writerow([0, 3, 3, 0, 0, 0, "angry worst\nstupid jerk"])
        writer.writerow([1, 3, 0, 0, 3, 2, "nice coffee"])
    return root


@pytest.fixture(scope="session")
def tiny_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_data(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def tiny_heads_dir(
    tmp_path_factory: pytest.TempPathFactory, tiny_data_dir: Path, tiny_encoder_dir: Path
) -> Path:
    """Heads and the top encoder layer trained by the real training code on the tiny encoder."""
    out = tmp_path_factory.mktemp("heads")
    train(
        tiny_data_dir, out, encoder=str(tiny_encoder_dir), tuned_layers=1, epochs=2, progress=False
    )
    return out
