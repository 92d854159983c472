"""A post with a brand, terms and a queued rights request, written through the service layer,
and a reader of a topic; keyword-only arguments."""

from __future__ import annotations

import uuid
from datetime import datetime

from kafka import KafkaConsumer
from kafka.structs import TopicPartition
from sqlalchemy.orm import Session

from curation_api.rights import brands, service
from curation_api.rights.schemas import (
    BrandUpdate,
    RightsRequestCreate,
    TemplateUpdate,
    TermsCreate,
)
from database.enums import RightsActorKind, TemplateKind
from tests.curation_api.curation_factories import T0, scored_post, store

APPROVAL = "#YesBrewNorth"
RULE = service.Actor(RightsActorKind.RULE, "test")


def queued_request(
    session: Session,
    *,
    thank_you: str | None = "Thank you {handle}!",
    now: datetime = T0,
    **brand: object,
) -> str:
    """A new post of a new brand (with terms, and a thank-you template unless None) whose
    rights request is queued; returns the post id. Commits."""
    tag = f"brew{uuid.uuid4().hex[:10]}"
    (post,) = store(session, scored_post(native_id=uuid.uuid4().hex, hashtags=[tag]))
    body = {"name": "BrewNorth", "hashtags": [tag], "approval_hashtag": APPROVAL} | brand
    brands.put_brand(session, tag, BrandUpdate.model_validate(body), now)
    brands.create_terms(session, tag, TermsCreate(text="You allow us to show it."), now)
    if thank_you is not None:
        brands.put_template(
            session, tag, TemplateKind.THANK_YOU, TemplateUpdate(text=thank_you), now
        )
    service.request_rights(
        session, post.post_id, RightsRequestCreate(), RULE, now=now, base_url="http://ugc.test"
    )
    session.commit()
    return post.post_id


class TopicReader:
    """Everything on one topic from its beginning, read as it arrives."""

    def __init__(self, broker: str, topic: str) -> None:
        self.consumer = KafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False)
        partitions = [TopicPartition(topic, p) for p in self.consumer.partitions_for_topic(topic)]
        self.consumer.assign(partitions)
        self.consumer.seek_to_beginning(*partitions)
        self.values: list[bytes] = []

    def read(self) -> list[bytes]:
        for records in self.consumer.poll(timeout_ms=200).values():
            self.values += [r.value for r in records]
        return self.values

    def close(self) -> None:
        self.consumer.close(autocommit=False)
