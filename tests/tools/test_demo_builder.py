"""The demo builder (``make demo``) is a developer tool that reproduces the shipped demo file."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
from pydantic import ValidationError

from ingest.demo import demo_posts_path
from tools.demo.corpus import CORPUS_PATH, load_corpus

ROOT = Path(__file__).resolve().parents[2]


def first_difference(built: bytes, committed: bytes) -> str:
    pairs = zip(built.splitlines(), committed.splitlines(), strict=False)
    for number, (ours, theirs) in enumerate(pairs, start=1):
        if ours != theirs:
            return (
                f"line {number} differs:\n built:     {ours[:300]!r}\n committed: {theirs[:300]!r}"
            )
    return f"{len(built.splitlines())} lines built, {len(committed.splitlines())} committed"


def test_builder_reproduces_the_committed_demo_file_byte_for_byte(tmp_path: Path) -> None:
    output = tmp_path / "demo_posts.jsonl"
    run = subprocess.run(
        [sys.executable, "-m", "tools.demo.build_demo", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "all valid RawPost" in run.stdout  # the builder re-read and checked what it wrote
    built, committed = output.read_bytes(), demo_posts_path().read_bytes()
    assert built == committed, "run `make demo` and commit the file; " + first_difference(
        built, committed
    )


def shipped_packages(include: list[str]) -> list[str]:
    """The packages ``[tool.setuptools.packages.find]`` puts in the wheel (same matching rule)."""
    names = [
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ROOT.iterdir()
        if top.is_dir() and not top.name.startswith(".")
        for init in top.glob("**/__init__.py")
    ]
    return [name for name in names if any(fnmatchcase(name, pattern) for pattern in include)]


def test_builder_is_not_shipped_in_the_wheel() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    shipped = shipped_packages(include)
    assert "ingest.demo" in shipped
    assert not [name for name in shipped if name.split(".")[0] == "tools"]
    assert "demo/*.jsonl" in pyproject["tool"]["setuptools"]["package-data"]["ingest"]
    assert not list((ROOT / "ingest" / "demo").glob("build*.py"))


def test_a_typo_in_the_corpus_fails_instead_of_falling_back_to_a_default(tmp_path: Path) -> None:
    corpus = CORPUS_PATH.read_text(encoding="utf-8")
    assert "\nkind = " in corpus
    typo = tmp_path / "corpus.toml"
    typo.write_text(corpus.replace("\nkind = ", "\nknid = ", 1), encoding="utf-8")
    with pytest.raises(ValidationError, match="knid"):
        load_corpus(typo)
