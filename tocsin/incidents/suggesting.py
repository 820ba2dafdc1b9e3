"""The classification helper: which severity an impact calls for, and why (API and console)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tocsin.domain.classification import ClassificationError, Impact, classify
from tocsin.domain.refusals import Invalid
from tocsin.incidents import configured
from tocsin.incidents.schemas import ClassifyRequest, ClassifyResponse


def suggest(session: Session, asked: ClassifyRequest) -> ClassifyResponse:
    """The suggested level with its reasons; :class:`Invalid` naming a wrong answer."""
    levels = [level.level for level in configured.scale(session)]
    rules = configured.classification_rules(session)
    try:
        impact = Impact(
            users_affected=asked.users_affected,
            revenue_share=asked.revenue_share,
            business_functions=frozenset(asked.business_functions),
            complete_outage=asked.complete_outage,
            workaround=asked.workaround,
            certainty=asked.certainty,
        )
        result = classify(impact, levels, rules)
    except ClassificationError as error:
        raise Invalid(error.field, str(error).removeprefix(f"{error.field}: ")) from error
    return ClassifyResponse(level=result.level, reasons=list(result.reasons), levels=levels)
