from pathlib import Path

from ugc.settings_doc import settings_table, with_settings_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_settings_table_matches_the_code() -> None:
    text = README.read_text(encoding="utf-8")
    assert with_settings_table(text) == text, "run: .venv/bin/ugc settings --write README.md"


def test_settings_table_lists_each_variable_once() -> None:
    names = [line.split("|")[1].strip() for line in settings_table().splitlines()[2:]]
    assert len(names) == len(set(names))
    assert "`UGC_KAFKA_BOOTSTRAP_SERVERS`" in names
    assert "`UGC_DATABASE_URL`" in names


def test_readme_starts_with_the_run_and_test_commands() -> None:
    head = README.read_text(encoding="utf-8").split("\n## ")[0]
    assert "make run" in head
    assert "make test" in head
