"""The words and emoji a grant may carry next to the approval hashtag, and the phrases that
look like a negation but mean yes ("no problem").

This is the list a false grant would come from: a word belongs here only if, next to the tag, it
can mean nothing but yes, thanks or politeness. Matching works as for
:mod:`curation_api.rights.consent_words`.
"""

from __future__ import annotations

#: Phrases that read as a negation but mean yes; matched first so that their "no" / "kein" /
#: "pas" is not taken as a refusal.
YES_DESPITE_NEGATION = (
    "no problem",
    "no problemo",
    "no worries",
    "why not",
    "i don't mind",
    "i do not mind",
    "don't mind",
    "ça ne me dérange pas",
    "inga problem",
    "inget problem",
    "kein problem",
    "keine ursache",
    "pas de problème",
    "pas de probleme",
    "pas de souci",
    "pas de soucis",
    "sans problème",
    "no hay problema",
    "sin problema",
    "ningún problema",
)

#: The only words a grant may carry next to the tag: a clear yes, thanks, politeness.
AFFIRMATIVE = (
    # English
    "yes",
    "yeah",
    "yep",
    "yup",
    "sure",
    "ok",
    "okay",
    "of course",
    "absolutely",
    "definitely",
    "certainly",
    "totally",
    "go ahead",
    "go for it",
    "feel free",
    "happy to",
    "happy to share",
    "gladly",
    "with pleasure",
    "please",
    "thanks",
    "thank you",
    "thanks for asking",
    "thx",
    "ty",
    "love it",
    "sounds good",
    "sounds great",
    "great",
    "awesome",
    "cool",
    # Swedish
    "ja",
    "japp",
    "jajamen",
    "absolut",
    "självklart",
    "såklart",
    "klart",
    "visst",
    "gärna",
    "kör",
    "kör på",
    "okej",
    "varsågod",
    "tack",
    "tusen tack",
    "tack för att ni frågade",
    # German
    "jawohl",
    "gerne",
    "gern",
    "sehr gerne",
    "klar",
    "na klar",
    "klar doch",
    "natürlich",
    "selbstverständlich",
    "sicher",
    "logo",
    "auf jeden fall",
    "danke",
    "vielen dank",
    # French
    "oui",
    "ouais",
    "bien sûr",
    "bien sur",
    "avec plaisir",
    "volontiers",
    "d'accord",
    "carrément",
    "évidemment",
    "merci",
    "merci beaucoup",
    # Spanish
    "sí",
    "claro",
    "claro que sí",
    "por supuesto",
    "vale",
    "dale",
    "adelante",
    "con gusto",
    "de acuerdo",
    "gracias",
    "muchas gracias",
    "por favor",
)

#: Emoji that may stand next to the tag in a grant (variation selectors and skin tones are
#: dropped before matching). Any other emoji (🤔, 😂, 👎) makes the reply ``unclear``.
AFFIRMATIVE_EMOJI = frozenset("👍👌✅✔🙌👏🙏❤♥💛💚💙💜🧡🤍🖤💯🎉🥳✨🍺🍻☕😊🙂😀😃😄😁😍🥰☺")
