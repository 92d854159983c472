"""The listening jobs' value sets, stored in their columns: importable without SQLAlchemy, so
that what describes a network (:mod:`listening.networks`) and every connector stays light.

Connectors and the ingest worker import this, not :mod:`database.models`: the ORM costs an
ingest process tens of thousands of tracked objects, which every full garbage collection then
walks.
"""

from __future__ import annotations

from enum import StrEnum


class ListeningMode(StrEnum):
    POLL = "poll"
    STREAM = "stream"


class JobStatus(StrEnum):
    PENDING = "pending"  # not polled yet (new, or changed since it was)
    OK = "ok"
    BACKING_OFF = "backing_off"  # the last poll failed; it is retried after a backoff
    FAILING = "failing"  # stopped until somebody changes the job (credentials, options)


class RightsState(StrEnum):
    """Where a request to reuse a creator's post stands (issue 11's state machine)."""

    DRAFT = "draft"
    QUEUED = "queued"
    SENT = "sent"
    MANUAL_SEND_NEEDED = "manual_send_needed"
    AWAITING_REPLY = "awaiting_reply"
    GRANTED = "granted"
    DECLINED = "declined"
    UNCLEAR = "unclear"
    EXPIRED = "expired"
    REVOKED = "revoked"
    WITHDRAWN = "withdrawn"  # the original post was deleted


class RightsMethod(StrEnum):
    API = "api"  # sent and answered through the network
    MANUAL = "manual"  # a moderator pasted the text, or recorded consent given elsewhere


class RightsActorKind(StrEnum):
    """Who or what moved a request: the audit trail says it for every transition."""

    MODERATOR = "moderator"
    RULE = "rule"
    CREATOR = "creator"
    TIMER = "timer"
    NETWORK = "network"


class TemplateKind(StrEnum):
    REQUEST = "request"
    THANK_YOU = "thank_you"
    REMINDER = "reminder"


class TimerKind(StrEnum):
    REMINDER = "reminder"
    EXPIRY = "expiry"
