"""``ugc ingest list``'s table: one line per job, its health at a glance."""

from __future__ import annotations

from datetime import datetime

from contract import utcnow
from listening.schemas import JobRead


def jobs_table(jobs: list[JobRead]) -> str:
    """A plain-text table of jobs and their health, one line each."""
    header = ("ID", "NETWORK", "MODE", "ACTIVE", "STATUS", "HASHTAGS", "LAST SUCCESS", "POSTS",
              "BACKOFF", "BUDGET", "MISSING", "LAST ERROR")  # fmt: skip
    now = utcnow()
    lines = [header]
    for job in jobs:
        health = job.health
        budget = health.budget
        lines.append(
            (
                str(job.id),
                job.network,
                job.mode.value,
                "yes" if job.active else "no",
                health.status.value,
                " ".join(f"#{t}" for t in job.hashtags),
                _ago(health.last_success_at, now),
                str(health.posts_collected),
                f"{health.backoff_s:.0f}s" if health.backoff_s else "-",
                f"{budget.remaining:g} {budget.unit or ''}".strip()
                if budget and budget.remaining is not None
                else "-",
                ",".join(job.credentials.missing) or "-",
                _short(health.last_error, health.last_error_at, now),
            )
        )
    widths = [max(len(row[i]) for row in lines) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        + "  "
        + row[-1]
        for row in lines
    )


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    seconds = max(0, int((now - when).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def _short(error: str | None, at: datetime | None, now: datetime) -> str:
    if not error:
        return "-"
    text = error if len(error) <= 80 else error[:79] + "…"
    return f"{text} ({_ago(at, now)})"
