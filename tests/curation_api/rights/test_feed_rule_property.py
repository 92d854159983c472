"""The feed rule as a property: whatever sequence of moderation and rights events a post goes
through, and whenever the feed is read, the public feed shows it exactly when it is approved,
online, granted for the website, and inside its window."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from curation_api.feeds import service as feeds
from curation_api.feeds.schemas import FeedCreate
from curation_api.kit import Conflict, Moderator
from curation_api.moderation import service as moderation
from curation_api.rights import brands, service, timers
from curation_api.rights.schemas import (
    BrandUpdate,
    Channel,
    Decision,
    DecisionCreate,
    RightsRequestCreate,
    SentCreate,
    TermsCreate,
)
from curation_api.rights.service import Actor
from curation_api.sink.repository import upsert_scored_posts
from database.models import ModerationVerb
from tests.curation_api.curation_factories import T0, scored_post

ACTOR = Actor.moderator(Moderator(name="prop"))
HOUR = timedelta(hours=1)

offsets = st.integers(min_value=-48, max_value=48)
step = st.one_of(
    st.tuples(st.sampled_from(["approve", "reject", "request", "sent", "decline", "revoke"])),
    st.tuples(st.just("grant"), st.none() | offsets, st.none() | offsets, st.booleans()),
    st.tuples(st.just("wait"), st.integers(min_value=0, max_value=400)),
    st.tuples(st.just("withdraw")),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=12))
def test_the_feed_shows_a_post_exactly_when_its_rights_are_valid(
    session: Session, steps: list[tuple[object, ...]]
) -> None:
    savepoint = session.begin_nested()
    try:
        _run(session, steps)
    finally:
        savepoint.rollback()


def _run(session: Session, steps: list[tuple[object, ...]]) -> None:
    now = T0 + timedelta(days=1)
    brands.put_brand(
        session,
        "prop",
        BrandUpdate(name="Prop", hashtags=["prop"], approval_hashtag="#YesProp"),
        now,
    )
    brands.create_terms(session, "prop", TermsCreate(text="terms"), now)
    feeds.put_feed(session, "prop", FeedCreate(title="Prop", hashtags=["prop"]))
    post = scored_post(hashtags=["prop"])
    upsert_scored_posts(session, [post])  # no commit: the example's savepoint is rolled back
    model = _Model()
    for action, *args in steps:
        now = _apply(session, post.post_id, model, str(action), args, now)
        shown = feeds.feed_posts(session, "prop", now=now, cursor=None, limit=5).items
        assert [p.post_id for p in shown] == ([post.post_id] if model.visible(now) else []), (
            steps,
            action,
        )


class _Model:
    """What the feed should do, written independently of the query."""

    def __init__(self) -> None:
        self.approved = False
        self.withdrawn = False
        self.granted = False
        self.website = True
        self.starts_at: datetime | None = None
        self.ends_at: datetime | None = None

    def visible(self, now: datetime) -> bool:
        inside = (self.starts_at is None or self.starts_at <= now) and (
            self.ends_at is None or now < self.ends_at
        )
        return self.approved and not self.withdrawn and self.granted and self.website and inside


def _apply(
    session: Session, post_id: str, model: _Model, action: str, args: list[object], now: datetime
) -> datetime:
    try:
        if action in ("approve", "reject"):
            verb = ModerationVerb.APPROVE if action == "approve" else ModerationVerb.REJECT
            moderation.moderate(session, post_id, verb, Moderator(name="prop"), None)
            model.approved = action == "approve"
        elif action == "request":
            service.request_rights(
                session, post_id, RightsRequestCreate(), ACTOR, now=now, base_url=""
            )
            model.granted = False
        elif action == "sent":
            service.mark_sent(session, post_id, SentCreate(), ACTOR, now=now)
        elif action in ("decline", "revoke"):
            decision = Decision.DECLINED if action == "decline" else Decision.REVOKED
            service.decide(session, post_id, DecisionCreate(decision=decision), ACTOR, now=now)
            model.granted = False
        elif action == "grant":
            start, end, website = args
            starts = now + int(start) * HOUR if start is not None else None  # type: ignore[call-overload]
            ends = None if end is None else (starts or now) + (abs(int(end)) + 1) * HOUR  # type: ignore[call-overload]
            scope = list(Channel) if website else [Channel.SOCIAL]
            body = DecisionCreate(
                decision=Decision.GRANTED, starts_at=starts, ends_at=ends, scope=scope
            )
            service.decide(session, post_id, body, ACTOR, now=now)
            model.granted, model.website = True, bool(website)
            model.starts_at, model.ends_at = starts or now, ends
        elif action == "wait":
            now += int(args[0]) * HOUR  # type: ignore[call-overload]
            timers.process_due(session, now)  # reminders and expiries fall due on the way
        elif action == "withdraw":
            service.withdraw(session, post_id, ACTOR, now=now)
            model.withdrawn = True
            model.granted = False
    except Conflict:
        pass  # an impossible move changes nothing
    session.flush()
    return now
