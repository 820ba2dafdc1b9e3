"""The blameless language check: sentences that read as blame, and what to write instead.

Blameless postmortems look at what the system allowed, not at who to blame:
"human error is a symptom of system problems" (the seeds). The check reads a
text sentence by sentence and flags those a rule matches; each flag says why
the sentence reads as blame and how to say it blamelessly. It advises: a
reviewer decides.

The built-in rules (:data:`BUILTIN`), by id:

- ``person_blamed``: a person (by name, by "he"/"she", or as "the engineer",
  "the on-call"...) as the subject of a failure: "Bob broke the deploy";
- ``human_error``: "human error", "operator error";
- ``should_have``: "should have", "ought to have": hindsight;
- ``failed_to``: "failed to", "neglected to", "forgot to";
- ``careless``: words that judge care or competence: careless, sloppy, lazy...;
- ``counterfactual``: what did not happen: "if he had checked", "would not
  have happened", "could have been avoided".

An organisation switches rules off and adds its own (a pattern, an
explanation, an alternative): see :func:`rule_set`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rule:
    id: str
    pattern: re.Pattern[str]
    #: Why a sentence it matches reads as blame.
    explanation: str
    #: How to say it blamelessly.
    alternative: str


@dataclass(frozen=True)
class Flag:
    """One flagged sentence: where (``field``, offsets in that field's text), which rule, why."""

    rule: str
    field: str
    sentence: str
    matched: str
    start: int
    end: int
    explanation: str
    alternative: str


def _rule(id_: str, pattern: str, explanation: str, alternative: str) -> Rule:
    return Rule(id_, re.compile(pattern, re.IGNORECASE), explanation, alternative)


_FAILURES = (
    r"(?:failed|forgot|broke|broken|caused|missed|ignored|deleted|dropped|skipped|"
    r"misconfigured|overlooked|neglected|messed up|screwed up|botched|took down|brought down|"
    r"made a mistake|made an error|made a typo|mistyped|ran the wrong|pushed a bad|"
    r"introduced a bug|introduced the bug|should have|did not check|didn't check|"
    r"did not test|didn't test|did not notice|didn't notice|was wrong|got it wrong)"
)
_HEDGES = (
    r"(?:(?:had|has|have|was|were|then|just|also|accidentally|mistakenly|wrongly|"
    r"incorrectly|clearly|simply|again)\s+){0,2}"
)
#: People named by their role, as the subject of a sentence.
_ROLES = (
    r"(?:the\s+)?(?:on-?call(?:\s+engineer)?|engineer|developer|operator|sre|admin|"
    r"administrator|new hire|intern|dba|release manager)"
)

PERSON_BLAMED = "person_blamed"
BUILTIN: tuple[Rule, ...] = (
    _rule(
        PERSON_BLAMED,
        rf"(?<![\w-])(?:he|she|{_ROLES})(?![\w-])\s+{_HEDGES}{_FAILURES}\b",
        "A person as the subject of a failure makes the sentence about who, not about what "
        "allowed it to happen.",
        'Make the system the subject and say what it allowed: "the pipeline let v3.4.2 ship '
        'without a canary"; then say what the person saw and why their action made sense.',
    ),
    _rule(
        "human_error",
        r"\b(?:human|operator|user|engineer|manual|pilot)\s+(?:error|mistake|failure)s?\b",
        '"Human error" names a person as the cause and ends the analysis where it should '
        "begin: people's mistakes are a symptom of the system around them.",
        "Describe the condition that made the action possible or easy to get wrong: the missing "
        "check, guardrail, confirmation or training, and what the tools showed at the time.",
    ),
    _rule(
        "should_have",
        r"\b(?:should|ought\s+to)\s+(?:not\s+)?have\b|\bshould(?:n['\u2019]t|['\u2019]ve)\b(?:\s+have)?",
        '"Should have" judges a past decision with knowledge nobody had at the time '
        "(hindsight bias).",
        "Describe what the person knew and saw when they decided, and why the action made "
        "sense to them then.",
    ),
    _rule(
        "failed_to",
        r"\b(?:failed|neglected|forgot|omitted|didn['\u2019]t\s+bother|did\s+not\s+bother)\s+to\b",
        '"Failed to" frames what happened as someone\'s omission rather than as something '
        "the system made likely.",
        'Say what happened and what the system did not do or did not make visible: "the '
        'deploy went ahead without a canary because the pipeline made that step optional".',
    ),
    _rule(
        "careless",
        r"\b(?:careless(?:ly|ness)?|sloppy|sloppily|negligen(?:t|tly|ce)|reckless(?:ly|ness)?|"
        r"lazy|laziness|incompeten(?:t|ce)|inattentive|stupid|dumb|rookie\s+mistake|"
        r"fat[- ]finger(?:ed|ing)?|(?:was\s+not|wasn['\u2019]t|not)\s+paying\s+attention|"
        r"should\s+(?:have\s+)?know[n]?\s+better)\b",
        "Words that judge a person's care or competence teach people to hide mistakes instead "
        "of reporting them.",
        "Describe the working conditions instead: time pressure, fatigue, an interface that "
        "made the slip easy, a missing review or safeguard.",
    ),
    _rule(
        "counterfactual",
        r"\bif\s+(?:only\s+)?(?:[\w'\u2019-]+\s+){1,4}had(?:n['\u2019]t|\s+not)?\s+\w+|"
        r"\bhad\s+(?:[\w'\u2019-]+\s+){1,3}(?:been\s+)?\w+(?:ed|en)\b[^.;]*\bwould(?:n['\u2019]t|\s+not)?\s+have\b|"
        r"\bwould(?:n['\u2019]t|\s+not)\s+have\s+(?:happened|occurred|been\s+an?\s+(?:issue|problem))\b|"
        r"\b(?:could|would)\s+have\s+(?:easily\s+)?(?:been\s+)?(?:avoided|prevented|caught)\b",
        "A counterfactual tells what did not happen; it explains nothing about why what did "
        "happen made sense at the time.",
        'Describe what did happen and the conditions that shaped it, and turn the "if only" '
        "into an action item on the system: a check, a guardrail, an alert.",
    ),
)
BUILTIN_IDS = tuple(rule.id for rule in BUILTIN)


def rule_set(disabled: Iterable[str] = (), extra: Iterable[Rule] = ()) -> tuple[Rule, ...]:
    """The built-in rules but those ``disabled``, then the organisation's own."""
    off = set(disabled)
    return (*(rule for rule in BUILTIN if rule.id not in off), *extra)


def own_rule(id_: str, pattern: str, explanation: str, alternative: str) -> Rule:
    """An organisation's rule; its pattern is matched ignoring case."""
    return _rule(id_, pattern, explanation, alternative)


_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)", re.MULTILINE)


def sentences(text: str) -> Iterator[tuple[int, str]]:
    """Each sentence of ``text`` (a line break ends one too) with where it starts."""
    for match in _SENTENCE.finditer(text):
        stripped = match.group().strip()
        if stripped:
            yield match.start() + match.group().index(stripped), stripped


def _named(people: Iterable[str]) -> Rule | None:
    """The person rule for these names: a named person as the subject of a failure."""
    names = sorted(
        {name.strip() for name in people if len(name.strip()) >= 2}, key=len, reverse=True
    )
    if not names:
        return None
    alternation = "|".join(re.escape(name) for name in names)
    person = next(rule for rule in BUILTIN if rule.id == PERSON_BLAMED)
    return _rule(
        PERSON_BLAMED,
        rf"(?<![\w-])(?:{alternation})(?:['\u2019]s)?(?![\w-])\s+{_HEDGES}{_FAILURES}\b",
        person.explanation,
        person.alternative,
    )


def check(
    text: str, rules: Iterable[Rule], *, people: Iterable[str] = (), field: str = "text"
) -> list[Flag]:
    """Every sentence of ``text`` a rule matches, once per rule, in text order.

    ``people`` are names a sentence may blame (user names, full names, first
    names); the person rule also knows "he", "she" and roles ("the engineer").
    Names are only looked for while the person rule is on.
    """
    chosen = list(rules)
    if any(rule.id == PERSON_BLAMED for rule in chosen):
        named = _named(people)
        if named is not None:
            chosen.append(named)
    flags: list[Flag] = []
    for offset, sentence in sentences(text):
        seen: set[str] = set()
        for rule in chosen:
            match = rule.pattern.search(sentence)
            if match is None or rule.id in seen:
                continue
            seen.add(rule.id)
            flags.append(
                Flag(
                    rule=rule.id,
                    field=field,
                    sentence=sentence,
                    matched=match.group(),
                    start=offset + match.start(),
                    end=offset + match.end(),
                    explanation=rule.explanation,
                    alternative=rule.alternative,
                )
            )
    return flags


def texts(document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Every text a person wrote in a postmortem document, with its field."""
    for name in ("title", "summary", "root_cause"):
        if isinstance(document.get(name), str):
            yield name, document[name]
    description = (document.get("impact") or {}).get("description")
    if isinstance(description, str):
        yield "impact.description", description
    for index, item in enumerate(document.get("timeline", [])):
        yield f"timeline.{index}.event", str(item.get("event", ""))
    for index, why in enumerate(document.get("five_whys", [])):
        yield f"five_whys.{index}.why", str(why.get("why", ""))
        yield f"five_whys.{index}.answer", str(why.get("answer", ""))
    for name in (
        "contributing_factors",
        "what_went_well",
        "what_went_poorly",
        "where_we_got_lucky",
        "lessons_learned",
    ):
        for index, point in enumerate(document.get(name, [])):
            yield f"{name}.{index}", str(point)
    for key, value in (document.get("extra") or {}).items():
        if isinstance(value, list):
            for index, point in enumerate(value):
                yield f"extra.{key}.{index}", str(point)
        else:
            yield f"extra.{key}", str(value)


def check_document(
    document: Mapping[str, Any], rules: Iterable[Rule], *, people: Iterable[str] = ()
) -> list[Flag]:
    """Every flag of every text of a postmortem document, field by field."""
    chosen, named = tuple(rules), tuple(people)
    return [
        flag
        for field, text in texts(document)
        for flag in check(text, chosen, people=named, field=field)
    ]
