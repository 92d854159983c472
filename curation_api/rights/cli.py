"""``ugc rights``: rights to reuse creators' posts, from the command line.

``ugc rights check-reply`` reads replies as JSON lines and writes one reading per line, in input
order. A malformed line (not JSON, a missing or mistyped field, an approval hashtag that is not
one tag) does not stop the run: its output line is ``{"id": <id or null>, "line": <number>,
"error": "..."}`` with no ``decision`` (a made-up "unclear" would send a reply nobody read to a
person's queue as if it had been read), the same message goes to stderr, and the command exits 1
after the last line. Blank lines are skipped.

The commands of the rights flow (``request``, ``sent``, ``decide``, ``revoke``, ``show``,
``inbox``, ``proof``) live in :mod:`.commands`.
"""

from __future__ import annotations

import json
import sys
from typing import IO, Any

import click
from pydantic import BaseModel, ConfigDict, ValidationError

from curation_api.rights.commands import COMMANDS
from curation_api.rights.consent import read_reply


class ReplyLine(BaseModel):
    """One input line of ``ugc rights check-reply``."""

    model_config = ConfigDict(extra="ignore")

    id: str | int
    text: str
    reply_author_id: str | int
    post_author_id: str | int
    approval_hashtag: str
    brand_handle: str | None = None
    language: str | None = None
    require_mention: bool = False


@click.group("rights")
def rights() -> None:
    """Rights to reuse creators' posts: requests, decisions and proofs; the rights worker."""


for _command in COMMANDS:
    rights.add_command(_command)


@rights.command("check-reply")
@click.option(
    "--input",
    "input_file",
    type=click.File("r", encoding="utf-8"),
    default="-",
    help="JSON lines with id, text, reply_author_id, post_author_id, approval_hashtag and "
    "optionally brand_handle, language, require_mention [default: stdin].",
)
@click.option(
    "--output",
    "output_file",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="Where the readings go, one JSON line per input line [default: stdout].",
)
def check_reply_command(input_file: IO[str], output_file: IO[str]) -> None:
    """Read creators' replies: granted, declined, unclear or not_author, with the reason.

    A malformed line gets an output line with "error" instead of "decision" and a message on
    stderr; the run goes on and exits 1 at the end.
    """
    errors = 0
    for number, line in enumerate(input_file, 1):
        if not line.strip():
            continue
        reading = check_line(line)
        if "error" in reading:
            errors += 1
            reading = {"id": reading["id"], "line": number, "error": reading["error"]}
            click.echo(f"line {number}: {reading['error']}", err=True)
        output_file.write(json.dumps(reading, ensure_ascii=False) + "\n")
    output_file.flush()
    if errors:
        click.echo(f"{errors} malformed line(s)", err=True)
        sys.exit(1)


def check_line(line: str) -> dict[str, Any]:
    """The reading of one input line, or ``{"id", "error"}`` when the line cannot be read."""
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as error:
        return {"id": None, "error": f"not JSON: {error.msg} at column {error.colno}"}
    raw_id = raw.get("id") if isinstance(raw, dict) else None
    given_id = raw_id if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else None
    try:
        reply = ReplyLine.model_validate(raw)
        reading = read_reply(
            reply.text,
            reply_author_id=str(reply.reply_author_id),
            post_author_id=str(reply.post_author_id),
            approval_hashtag=reply.approval_hashtag,
            brand_handle=reply.brand_handle,
            require_mention=reply.require_mention,
            language=reply.language,
        )
    except ValidationError as error:
        return {"id": given_id, "error": _validation_message(error)}
    except ValueError as error:
        return {"id": given_id, "error": str(error)}
    return {"id": reply.id, "decision": reading.decision.value, "reason": reading.reason}


def _validation_message(error: ValidationError) -> str:
    problems = []
    for detail in error.errors(include_url=False):
        where = ".".join(str(part) for part in detail["loc"]) or "line"
        problems.append(f"{where}: {detail['msg'].lower()}")
    return "; ".join(problems)


@rights.command("worker")
def worker_command() -> None:
    """Relay rights commands, apply rights events and run the timers until SIGINT/SIGTERM."""
    import signal
    import threading
    from types import FrameType

    from curation_api.rights.settings import RightsWorkerSettings
    from curation_api.rights.worker import run_rights_worker

    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        # Only ask: the worker finishes and commits the batch in hand, then closes.
        click.echo(f"{signal.Signals(signum).name}: stopping", err=True)
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    run_rights_worker(RightsWorkerSettings(), stop)
