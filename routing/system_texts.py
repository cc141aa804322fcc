"""The conversation's system messages ("Ada joined the conversation."), in the reader's language.

They are stored once, in English, when something happens, and are read by the customer,
the expert and the brand's team, each maybe in another language. So the stored text is the
key and each reader sees it translated when it is shown: a fixed sentence is looked up in
the catalog as it is; a sentence with a name or a time in it is matched by its pattern and
the catalog's sentence is filled with the same values. A text that matches nothing (an
older wording, a reason a person typed) is shown as stored.

Why a question was escalated to the brand's team (``Question.escalation_reason``, the
staff queue, the escalation email, the API) is stored and shown the same way.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext, gettext_noop

# Fixed sentences: the services store exactly these (they import them from here).
ASKED_FOR_EXPERT = gettext_noop("You asked for an expert. We are finding one now.")
FINDING_EXPERT = gettext_noop("We are finding an expert for you now.")
AUTO_ANSWER_FAILED = gettext_noop(
    "We are sorry the automated answer did not help. A person is coming."
)
PASSED_ON = gettext_noop("Your expert passed the question on; we are finding another one.")
ESCALATED = gettext_noop(
    "We have passed your question to the brand's own team; they will answer here."
)
REASSIGNED = gettext_noop("The brand's team asked another expert to take over your question.")
FEEDBACK_NOT_HELPED = gettext_noop(
    "Thanks for telling us. A person who owns the product can take over: click Talk to an expert."
)
CALL_MISSED = gettext_noop(
    "No expert could take the call just now. You can book a callback at a time that suits "
    "you, or keep writing here."
)
REOPENED = gettext_noop("The customer reopened the question: not solved yet.")

FIXED = {
    ASKED_FOR_EXPERT,
    FINDING_EXPERT,
    AUTO_ANSWER_FAILED,
    PASSED_ON,
    ESCALATED,
    REASSIGNED,
    FEEDBACK_NOT_HELPED,
    CALL_MISSED,
    REOPENED,
}

# Sentences with values: (how the stored English reads, the catalog's sentence).
PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"(?P<name>.+) joined the conversation\."),
        gettext_noop("%(name)s joined the conversation."),
    ),
    (
        re.compile(r"Call with (?P<name>.+) started at (?P<time>\d\d:\d\d) UTC\."),
        gettext_noop("Call with %(name)s started at %(time)s UTC."),
    ),
    (
        re.compile(
            r"Call with (?P<name>.+) ended at (?P<time>\d\d:\d\d) UTC "
            r"\(started (?P<start>\d\d:\d\d), lasted (?P<duration>[^)]+)\)\."
        ),
        gettext_noop(
            "Call with %(name)s ended at %(time)s UTC (started %(start)s, lasted %(duration)s)."
        ),
    ),
]


# Why a question went to the brand's team (``Question.escalation_reason``).
ESCALATION_SLA = gettext_noop("No expert answered within the SLA.")
ESCALATION_MAX_OFFERS = gettext_noop("Offered the maximum number of times.")
ESCALATION_NO_EXPERT = gettext_noop("No available expert after widening.")
# The sweep died twice on the same question, while doing ``what`` ("route", "expiry").
ESCALATION_CRASHED = {
    "route": gettext_noop(
        "Automatic routing failed twice on this question; the brand's team takes it."
    ),
    "expiry": gettext_noop(
        "Automatic offer expiry failed twice on this question; the brand's team takes it."
    ),
}
ESCALATION_CRASHED_OTHER = gettext_noop(
    "An automatic step failed twice on this question; the brand's team takes it."
)
# The expert's own words follow (stored as typed, never translated).
ESCALATION_BY_EXPERT = gettext_noop("Expert: %(reason)s")

ESCALATION_FIXED = {
    ESCALATION_SLA,
    ESCALATION_MAX_OFFERS,
    ESCALATION_NO_EXPERT,
    ESCALATION_CRASHED_OTHER,
    *ESCALATION_CRASHED.values(),
}
# Older wording of the crash reason: "Automatic route failed twice on this question; ...".
_CRASHED_BEFORE = re.compile(
    r"Automatic (?P<what>\w+) failed twice on this question; the brand's team takes it\."
)
_BY_EXPERT = re.compile(r"Expert: (?P<reason>.*)", re.DOTALL)


def escalation_crashed(what: str) -> str:
    """The stored reason when the sweep died twice while doing ``what`` to a question."""
    return ESCALATION_CRASHED.get(what, ESCALATION_CRASHED_OTHER)


def escalation_by_expert(reason: str) -> str:
    """The stored reason when the expert escalated, with her words (as typed)."""
    return ESCALATION_BY_EXPERT % {"reason": reason}


def escalation_reason_text(reason: str) -> str:
    """The stored escalation ``reason`` in the active language; anything else as stored."""
    if reason in ESCALATION_FIXED:
        return gettext(reason)
    match = _BY_EXPERT.fullmatch(reason)
    if match:
        return gettext(ESCALATION_BY_EXPERT) % match.groupdict()
    match = _CRASHED_BEFORE.fullmatch(reason)
    if match:
        return gettext(escalation_crashed(match["what"]))
    return reason


def system_text(body: str) -> str:
    """The stored system message ``body`` in the active language."""
    if body in FIXED:
        return gettext(body)
    if body.startswith(REOPENED + " "):
        return f"{gettext(REOPENED)} {body[len(REOPENED) + 1 :]}"
    for pattern, sentence in PATTERNS:
        match = pattern.fullmatch(body)
        if match:
            return gettext(sentence) % match.groupdict()
    return body
