"""Severity classification: suggest a level from impact dimensions, with reasons.

The seeds' guidelines ("Severity Classification Guidelines") are applied as an
ordered list of explainable rules. Each rule either sets the starting level,
raises it, lowers it, or explains why it did not, and says so in one
human-readable reason:

1. **Users affected** sets the starting level from the share of users affected.
2. **Revenue** raises it when the affected users generate a large share of
   revenue ("5% of users is SEV2 normally but SEV1 if they generate 50% of
   revenue").
3. **Critical business functions** (security breach, data loss by default)
   raise it to the most severe level, and no workaround can lower it again.
4. **Important business functions** (payments, authentication by default)
   raise it to the second tier when degraded and to the most severe level when
   completely down ("payment processing is completely broken").
5. **Complete outage** raises it to at least the second tier.
6. **Workaround**: an effective workaround lowers it one level ("SEV3 with an
   effective workaround, SEV2 without"); an unknown workaround counts as none.
7. **Uncertainty**: an uncertain responder gets the next more severe level
   ("default to higher severity when uncertain").

Rules 1 to 5 speak in four impact *tiers* (critical, major, minor, low) while
the configured severity ladder may have any number of levels, most severe
first. Tiers map onto the ladder by position (see :func:`level_for_tier`):
critical is always the first level, low always the last, and major and minor
sit at the proportional positions in between. With four levels the mapping is
the identity (SEV-1..SEV-4); with three, major and minor share the middle
level; with five, major is the second level and minor the fourth. Rules 6 and 7
move one *level* on the configured ladder, so every level is reachable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import IntEnum
from typing import Literal

Certainty = Literal["certain", "uncertain"] | float


class Tier(IntEnum):
    """Impact tiers the rules speak in, most severe first."""

    CRITICAL = 0
    MAJOR = 1
    MINOR = 2
    LOW = 3


class ClassificationError(ValueError):
    """Rules from configuration or an impact are invalid; names the field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


def _check_share(field_name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ClassificationError(field_name, f"expected a share between 0 and 1, got {value!r}")


def _functions(names: Iterable[str]) -> frozenset[str]:
    return frozenset(name.strip().lower() for name in names if name.strip())


@dataclass(frozen=True)
class ClassificationRules:
    """Thresholds for :func:`classify`; shares are fractions between 0 and 1.

    A threshold is met when the value is greater than or equal to it.
    """

    critical_users_share: float = 0.5
    major_users_share: float = 0.01
    minor_users_share: float = 0.001
    critical_revenue_share: float = 0.3
    major_revenue_share: float = 0.05
    critical_functions: frozenset[str] = frozenset({"security_breach", "data_loss"})
    important_functions: frozenset[str] = frozenset({"payments", "authentication"})
    #: A numeric responder confidence below this counts as uncertain.
    uncertain_below_confidence: float = 0.8

    def __post_init__(self) -> None:
        for name in (
            "critical_users_share",
            "major_users_share",
            "minor_users_share",
            "critical_revenue_share",
            "major_revenue_share",
            "uncertain_below_confidence",
        ):
            _check_share(name, getattr(self, name))
        if not self.minor_users_share <= self.major_users_share <= self.critical_users_share:
            raise ClassificationError(
                "major_users_share",
                "user thresholds must satisfy minor <= major <= critical",
            )
        if self.major_revenue_share > self.critical_revenue_share:
            raise ClassificationError(
                "major_revenue_share", "revenue thresholds must satisfy major <= critical"
            )
        object.__setattr__(self, "critical_functions", _functions(self.critical_functions))
        object.__setattr__(self, "important_functions", _functions(self.important_functions))

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ClassificationRules:
        """Build rules from configuration; missing keys keep their defaults."""
        known = {f.name for f in fields(cls)}
        values: dict[str, object] = {}
        for key, value in data.items():
            if key not in known:
                allowed = ", ".join(sorted(known))
                raise ClassificationError(key, f"unknown setting; expected one of: {allowed}")
            if key.endswith("_functions"):
                if isinstance(value, str) or not isinstance(value, Iterable):
                    raise ClassificationError(key, "expected a list of business function names")
                names = list(value)
                if not all(isinstance(name, str) for name in names):
                    raise ClassificationError(key, "expected a list of business function names")
                values[key] = frozenset(names)
            else:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ClassificationError(
                        key, f"expected a number between 0 and 1, got {value!r}"
                    )
                values[key] = float(value)
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Impact:
    """What the responder knows about an incident's impact.

    ``workaround`` is ``None`` when nobody knows yet; ``certainty`` is either
    ``"certain"``/``"uncertain"`` or a confidence between 0 and 1.
    """

    users_affected: float = 0.0
    revenue_share: float | None = None
    business_functions: frozenset[str] = field(default_factory=frozenset)
    complete_outage: bool = False
    workaround: bool | None = None
    certainty: Certainty = "certain"

    def __post_init__(self) -> None:
        _check_share("users_affected", self.users_affected)
        if self.revenue_share is not None:
            _check_share("revenue_share", self.revenue_share)
        if isinstance(self.certainty, str):
            if self.certainty not in ("certain", "uncertain"):
                raise ClassificationError(
                    "certainty",
                    f"expected 'certain', 'uncertain' or a confidence between 0 and 1, "
                    f"got {self.certainty!r}",
                )
        else:
            _check_share("certainty", self.certainty)
        object.__setattr__(self, "business_functions", _functions(self.business_functions))


@dataclass(frozen=True)
class Classification:
    """A suggested level and the reasons, in the order the rules applied."""

    level: str
    reasons: tuple[str, ...]


def level_for_tier(tier: Tier, levels: Sequence[str]) -> str:
    """The configured level a tier maps to, by proportional position.

    Tier ``t`` of 0..3 lands on index ``round(t * (n - 1) / 3)`` of ``n``
    levels, so critical is always the first and low always the last level.
    """
    return levels[_tier_index(tier, len(levels))]


def _tier_index(tier: Tier, count: int) -> int:
    # round(k / 3) for k = tier * (count - 1); k / 3 is never exactly x.5.
    return (int(tier) * (count - 1) + 1) // 3


def _pct(share: float) -> str:
    return f"{share * 100:.2f}".rstrip("0").rstrip(".") + "%"


class _Ladder:
    """The current position on the configured levels, and the reasons so far."""

    def __init__(self, levels: Sequence[str], start: int, reason: str) -> None:
        self.levels = levels
        self.index = start
        self.reasons = [reason]

    @property
    def level(self) -> str:
        return self.levels[self.index]

    def raise_to(self, tier: Tier, because: str) -> None:
        target = _tier_index(tier, len(self.levels))
        if target < self.index:
            self.index = target
            self.reasons.append(f"{because} → raised to {self.level}")


def classify(
    impact: Impact, levels: Sequence[str], rules: ClassificationRules | None = None
) -> Classification:
    """Suggest a level from ``levels`` (most severe first) for ``impact``."""
    if not levels:
        raise ClassificationError("levels", "at least one severity level is required")
    if len(set(levels)) != len(levels):
        raise ClassificationError("levels", "severity level names must be unique")
    rules = rules or ClassificationRules()

    ladder = _users_rule(impact, levels, rules)
    if impact.revenue_share is not None:
        share = impact.revenue_share
        if share >= rules.critical_revenue_share:
            threshold, tier = rules.critical_revenue_share, Tier.CRITICAL
        else:
            threshold, tier = rules.major_revenue_share, Tier.MAJOR
        if share >= threshold:
            because = f"affected users generate {_pct(share)} of revenue ≥ {_pct(threshold)}"
            ladder.raise_to(tier, because)

    critical = sorted(impact.business_functions & rules.critical_functions)
    if critical:
        ladder.raise_to(Tier.CRITICAL, f"{', '.join(critical)} affected")
    important = sorted(impact.business_functions & rules.important_functions)
    if important and impact.complete_outage:
        ladder.raise_to(Tier.CRITICAL, f"{', '.join(important)} completely down")
    elif important:
        ladder.raise_to(Tier.MAJOR, f"{', '.join(important)} degraded")
    if impact.complete_outage:
        ladder.raise_to(Tier.MAJOR, "complete outage")

    _workaround_rule(impact, ladder, critical)
    _uncertainty_rule(impact, ladder, rules)
    return Classification(level=ladder.level, reasons=tuple(ladder.reasons))


def _users_rule(impact: Impact, levels: Sequence[str], rules: ClassificationRules) -> _Ladder:
    share = impact.users_affected
    thresholds = (
        (rules.critical_users_share, Tier.CRITICAL),
        (rules.major_users_share, Tier.MAJOR),
        (rules.minor_users_share, Tier.MINOR),
    )
    for threshold, tier in thresholds:
        if share >= threshold:
            index = _tier_index(tier, len(levels))
            reason = f"users affected {_pct(share)} ≥ {_pct(threshold)} → {levels[index]}"
            return _Ladder(levels, index, reason)
    index = _tier_index(Tier.LOW, len(levels))
    reason = f"users affected {_pct(share)} < {_pct(rules.minor_users_share)} → {levels[index]}"
    return _Ladder(levels, index, reason)


def _workaround_rule(impact: Impact, ladder: _Ladder, critical: Sequence[str]) -> None:
    if impact.workaround is None:
        ladder.reasons.append(f"workaround unknown → treated as none, stays {ladder.level}")
    elif not impact.workaround:
        ladder.reasons.append(f"no effective workaround → stays {ladder.level}")
    elif critical:
        ladder.reasons.append(
            f"effective workaround exists, but {', '.join(critical)} affected → "
            f"stays {ladder.level}"
        )
    elif ladder.index == len(ladder.levels) - 1:
        ladder.reasons.append(
            f"effective workaround exists; already the least severe level {ladder.level}"
        )
    else:
        ladder.index += 1
        ladder.reasons.append(f"effective workaround exists → lowered to {ladder.level}")


def _uncertainty_rule(impact: Impact, ladder: _Ladder, rules: ClassificationRules) -> None:
    certainty = impact.certainty
    if certainty == "certain":
        return
    if isinstance(certainty, str):
        because = "responder is uncertain"
    elif certainty < rules.uncertain_below_confidence:
        because = (
            f"responder confidence {_pct(certainty)} < {_pct(rules.uncertain_below_confidence)}"
        )
    else:
        return
    if ladder.index == 0:
        ladder.reasons.append(f"{because}; already the most severe level {ladder.level}")
        return
    current = ladder.level
    ladder.index -= 1
    ladder.reasons.append(
        f"{because} → suggested the higher level {ladder.level} (between {current} and "
        f"{ladder.level})"
    )
