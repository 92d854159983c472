"""Sentence vectors from any Hugging Face model directory."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from classify.encoder import Encoder, normalize_post_text


@pytest.fixture(scope="module")
def tiny_encoder(tiny_encoder_dir: Path) -> Encoder:
    return Encoder.load(str(tiny_encoder_dir), max_length=16, batch_size=2)


def test_vectors_are_unit_length_rows_in_input_order(tiny_encoder: Encoder) -> None:
    texts = ["love great amazing thanks the happy lovely", "sad", "the table report is monday"]
    together = tiny_encoder.embed(texts)
    one_by_one = torch.cat([tiny_encoder.embed([t]) for t in texts])
    assert together.shape == (3, 32)
    assert torch.allclose(together.norm(dim=1), torch.ones(3))
    # Sorting by length inside the call must not change which row belongs to which text.
    assert torch.allclose(together, one_by_one, atol=1e-5)


def test_empty_and_blank_texts_are_embedded(tiny_encoder: Encoder) -> None:
    vectors = tiny_encoder.embed(["", "   ", "love"])
    assert vectors.shape == (3, 32)
    assert bool(torch.isfinite(vectors).all())


def test_no_texts_give_an_empty_matrix(tiny_encoder: Encoder) -> None:
    assert tiny_encoder.embed([]).shape == (0, 32)


def test_long_texts_are_truncated_to_max_length(tiny_encoder: Encoder) -> None:
    long = " ".join(["love"] * 500)
    assert tiny_encoder.embed([long]).shape == (1, 32)


def test_vectors_can_train_a_head(tiny_encoder: Encoder) -> None:
    # embed() runs in inference mode; its result must still be usable with autograd.
    vectors = tiny_encoder.embed(["love", "hate"])
    layer = torch.nn.Linear(32, 1)
    layer(vectors).sum().backward()
    assert layer.weight.grad is not None


def test_handles_links_and_html_entities_are_normalized_like_the_training_tweets() -> None:
    text = "@Brand_Help thanks &amp; see https://example.com/x?y=1 ,mail me@example.com"
    assert normalize_post_text(text) == "@user thanks & see http ,mail me@example.com"


def test_passes_are_capped_by_posts_and_by_padded_tokens(tiny_encoder_dir: Path) -> None:
    encoder = Encoder.load(str(tiny_encoder_dir), batch_size=3, batch_tokens=20)
    lengths = [2, 2, 3, 3, 5, 9, 10, 30]
    passes = encoder._passes(lengths)
    assert [list(p) for p in passes] == [[0, 1, 2], [3, 4], [5, 6], [7]]
    # Every text is in exactly one pass, in order; no pass breaks a cap unless it holds one text.
    assert [i for p in passes for i in p] == list(range(len(lengths)))
    for p in passes:
        assert len(p) <= 3
        assert len(p) == 1 or len(p) * lengths[p[-1]] <= 20


def test_many_texts_of_mixed_lengths_embed_as_they_do_alone(tiny_encoder_dir: Path) -> None:
    encoder = Encoder.load(str(tiny_encoder_dir), batch_size=4, batch_tokens=24)
    words = ["love", "great", "sad", "the", "table", "report", "is", "monday", "happy", "lovely"]
    texts = [" ".join(words[: 1 + (i * 7) % len(words)]) for i in range(23)]
    together = encoder.embed(texts)
    one_by_one = torch.cat([encoder.embed([t]) for t in texts])
    assert torch.allclose(together, one_by_one, atol=1e-5)
