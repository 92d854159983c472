"""``ugc alerts``: the spike detector (its stream worker and backtest, in classify) and the
incidents it raises (their sink and commands, in curation_api) under one command."""

from __future__ import annotations

import click

from ugc.lazy import LazyGroup

_INCIDENTS = "curation_api.alerts.cli"

COMMANDS = {
    "worker": (
        "classify.spikes.worker",
        "worker_command",
        "Detect negative spikes on ugc.posts.scored, per hashtag, into ugc.alerts.",
    ),
    "backtest": (
        "classify.spikes.cli",
        "backtest_command",
        "Score a CSV series offline with the same detector (score and alert per row).",
    ),
    "sink": (_INCIDENTS, "sink_command", "Consume ugc.alerts into incidents and webhooks."),
    "list": (_INCIDENTS, "list_command", "Incidents, newest first."),
    "show": (_INCIDENTS, "show_command", "One incident with its evidence."),
    "ack": (_INCIDENTS, "ack_command", "Acknowledge an incident."),
    "resolve": (_INCIDENTS, "resolve_command", "Resolve an incident."),
    "snooze": (_INCIDENTS, "snooze_command", "Silence a hashtag's alerts for some minutes."),
    "unsnooze": (_INCIDENTS, "unsnooze_command", "End a hashtag's snooze."),
}


@click.group(cls=LazyGroup, commands=COMMANDS)
def alerts() -> None:
    """Negative viral spikes: detection on the stream, backtests, incidents."""
