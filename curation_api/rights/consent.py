"""Reading consent from a creator's reply to a rights request.

Consent is proven only by a reply from the post author's account that carries the approval
hashtag as a whole tag and says nothing that could change its meaning (PLATFORMS.md, "What the
rights-request flow can do on each network"). A false grant is the one error that is never
acceptable, so the reader is an allow-list: a reply is ``granted`` only when every word in it is
a known yes, thanks or politeness word and every emoji a known happy one (`consent_yes_words`);
anything else it cannot vouch for makes it ``unclear``, for a person to read. A refusal or
withdrawal anywhere makes it ``declined``, even next to the tag. Rules, not a model: the
decision must be explainable to the creator and to a lawyer, and the same reply must always read
the same way.

Tags are compared whole and case-insensitively after Unicode NFC normalization (a decomposed
"ü" is the same letter as a composed one), but accents are not folded: ``#JaBruh`` is not
``#JaBrüh``. A creator who types the tag without its accent gets ``unclear``, never a grant on a
tag the brand did not choose.

Whether a decline after a grant is a revocation is for the rights-request state machine; this
module only reads one reply.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from curation_api.rights import consent_words as words
from curation_api.rights import consent_yes_words as yes_words
from curation_api.rights.consent_tokens import Tokens, phrases, tokenize

__all__ = ["ConsentDecision", "ConsentReading", "read_reply"]

_WHOLE_TAG = re.compile(r"\w+")
_COVERED_LANGUAGES = frozenset({"en", "sv", "de", "fr", "es"})


class ConsentDecision(StrEnum):
    GRANTED = "granted"
    DECLINED = "declined"
    UNCLEAR = "unclear"
    NOT_AUTHOR = "not_author"


@dataclass(frozen=True, slots=True)
class ConsentReading:
    """A decision and the reason a person can check it against."""

    decision: ConsentDecision
    reason: str


# Matched in this order; each word is claimed by the first list that matches it, so that "no
# problem" is a yes before "no" can be a refusal, and "of course not" a refusal before "of
# course" can be a yes.
_LISTS = (
    ("yes", phrases(yes_words.YES_DESPITE_NEGATION)),
    ("refusal", phrases(words.REFUSAL)),
    ("negation", phrases(words.NEGATION)),
    ("condition", phrases(words.CONDITION)),
    ("hesitation", phrases(words.HESITATION)),
    ("question", phrases(words.QUESTION)),
    ("yes", phrases(yes_words.AFFIRMATIVE)),
)


def read_reply(
    text: str,
    *,
    reply_author_id: str,
    post_author_id: str,
    approval_hashtag: str,
    brand_handle: str | None = None,
    require_mention: bool = False,
    language: str | None = None,
) -> ConsentReading:
    """Read one reply to a rights request.

    ``approval_hashtag`` may be given with or without its ``#``; it must be one whole tag.
    ``require_mention`` needs ``brand_handle`` (with or without ``@``): without a mention of
    exactly that account the reply is ``unclear``. ``language`` only changes the reason: every
    word list applies to every reply, because replies mix languages.

    Raises ``ValueError`` for an approval hashtag that is not one tag, or a required mention
    without a brand handle: those are the brand's configuration, not the creator's reply.
    """
    tag = _normalized_tag(approval_hashtag)
    if require_mention and not brand_handle:
        raise ValueError("require_mention needs a brand_handle")
    if not post_author_id or str(reply_author_id) != str(post_author_id):
        return ConsentReading(
            ConsentDecision.NOT_AUTHOR,
            f"reply is from account {reply_author_id!r}, not the post author "
            f"{post_author_id!r}: only the author can give consent",
        )
    tokens = tokenize(text)
    labels = tokens.label_words(_LISTS)
    refusals = labels.get("refusal", [])
    has_tag = tag in tokens.hashtags
    if refusals:
        suffix = " (the approval hashtag does not outweigh it)" if has_tag else ""
        return _reading(
            ConsentDecision.DECLINED, f"refusal or withdrawal: {_quote(refusals)}{suffix}"
        )
    if not has_tag:
        return _reading(ConsentDecision.UNCLEAR, _why_no_tag(tokens, tag))
    doubts = _doubts(tokens, labels, brand_handle if require_mention else None, tag)
    if doubts:
        if labels.get("unknown") and language and language.split("-")[0] not in _COVERED_LANGUAGES:
            doubts.append(f"no word lists for language {language!r}")
        return _reading(ConsentDecision.UNCLEAR, "; ".join(doubts))
    return _reading(
        ConsentDecision.GRANTED,
        f"the author replied with #{approval_hashtag.lstrip('#')} and nothing that changes it",
    )


def _normalized_tag(approval_hashtag: str) -> str:
    body = unicodedata.normalize("NFC", approval_hashtag.strip()).removeprefix("#")
    if not _WHOLE_TAG.fullmatch(body):
        raise ValueError(f"approval hashtag {approval_hashtag!r} is not one hashtag")
    return body.casefold()


def _why_no_tag(tokens: Tokens, tag: str) -> str:
    near = [t for t in tokens.hashtags if t != tag and (t.startswith(tag) or tag.startswith(t))]
    if near:
        return f"#{near[0]} is not the approval hashtag #{tag} (the whole tag must match)"
    if any(tag in link.casefold() for link in tokens.links):
        return "the approval hashtag appears only inside a link"
    others = [t for t in tokens.hashtags if t != tag]
    if others:
        return f"hashtag {_quote(['#' + t for t in others])} is not the approval hashtag #{tag}"
    return "no approval hashtag"


def _doubts(
    tokens: Tokens, labels: dict[str, list[str]], required_mention: str | None, tag: str
) -> list[str]:
    """Everything in a reply carrying the tag that could change what the tag means."""
    doubts = _mention_doubts(tokens, required_mention)
    if tokens.quoted:
        doubts.append("the hashtag may be quoted rather than said")
    if tokens.question_marks or labels.get("question"):
        doubts.append("the reply asks a question")
    for label, what in (
        ("negation", "negation"),
        ("condition", "condition or payment"),
        ("hesitation", "hesitation"),
        ("unknown", "words that could change the meaning"),
    ):
        if labels.get(label):
            doubts.append(f"{what}: {_quote(labels[label])}")
    return doubts + _symbol_doubts(tokens, tag)


def _mention_doubts(tokens: Tokens, required_mention: str | None) -> list[str]:
    if required_mention is None:
        return []
    handle = unicodedata.normalize("NFC", required_mention).removeprefix("@").casefold()
    if handle in tokens.mentions:
        return []
    return [f"the brand requires a mention of @{handle} and the reply has none"]


def _symbol_doubts(tokens: Tokens, tag: str) -> list[str]:
    doubts = []
    if tokens.currency:
        doubts.append("mentions money")
    # Another tag may be "#notreally" or "#ad": the reader cannot tell, a person can.
    others = [t for t in tokens.hashtags if t != tag]
    if others:
        doubts.append(f"other hashtags: {_quote(['#' + t for t in others])}")
    odd_emoji = [e for e in tokens.emoji if e not in yes_words.AFFIRMATIVE_EMOJI]
    if odd_emoji:
        doubts.append(f"emoji that may not mean yes: {''.join(odd_emoji)}")
    return doubts


def _quote(items: list[str]) -> str:
    return ", ".join(f"'{item}'" for item in dict.fromkeys(items))


def _reading(decision: ConsentDecision, reason: str) -> ConsentReading:
    return ConsentReading(decision, reason)
