import json
from pathlib import Path

from click.testing import CliRunner

from ugc.cli import cli


def reply(id_: str, text: str, *, replier: str = "acct-1") -> str:
    return json.dumps(
        {
            "id": id_,
            "text": text,
            "reply_author_id": replier,
            "post_author_id": "acct-1",
            "approval_hashtag": "#YesBrewNorth",
        }
    )


def test_check_reply_writes_one_reading_per_line_in_input_order() -> None:
    lines = [reply("a", "Yes! #YesBrewNorth"), reply("b", "nej tack"), reply("c", "x", replier="z")]
    result = CliRunner().invoke(cli, ["rights", "check-reply"], input="\n".join(lines) + "\n")

    assert result.exit_code == 0, result.output
    readings = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["id"], r["decision"]) for r in readings] == [
        ("a", "granted"),
        ("b", "declined"),
        ("c", "not_author"),
    ]
    assert all(r["reason"] for r in readings)


def test_a_malformed_line_is_reported_and_the_run_goes_on_then_fails(tmp_path: Path) -> None:
    source = tmp_path / "replies.jsonl"
    source.write_text(
        "\n".join(
            [
                reply("a", "#YesBrewNorth"),
                "{not json",
                json.dumps({"id": "c", "text": "#YesBrewNorth"}),
                "",
                reply("e", "what is #YesBrewNorth?"),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    target = tmp_path / "readings.jsonl"

    result = CliRunner().invoke(
        cli, ["rights", "check-reply", "--input", str(source), "--output", str(target)]
    )

    assert result.exit_code == 1
    readings = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in readings] == ["a", None, "c", "e"]
    assert [r.get("decision") for r in readings] == ["granted", None, None, "unclear"]
    assert readings[1]["line"] == 2
    assert readings[1]["error"].startswith("not JSON")
    assert "reply_author_id: field required" in readings[2]["error"]
    assert "line 2: not JSON" in result.stderr
    assert "2 malformed line(s)" in result.stderr
