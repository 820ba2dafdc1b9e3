"""What configuration says about postmortems: the settings, the templates, a draft's sections."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.config.references import unknown
from tocsin.config.tables import Definition
from tocsin.domain.postmortem_document import PUBLIC_SECTIONS, Section, sections_of
from tocsin.domain.refusals import Invalid
from tocsin.domain.severity import level_key
from tocsin.postmortems.config_schema import (
    POSTMORTEM_TEMPLATE,
    POSTMORTEMS,
    POSTMORTEMS_NAME,
    PostmortemsConfig,
    PostmortemTemplateConfig,
)


def settings(session: Session) -> PostmortemsConfig:
    """The ``postmortems:`` settings, or their defaults when none are applied."""
    spec = session.scalar(
        select(Definition.spec).where(
            Definition.kind == POSTMORTEMS, Definition.name == POSTMORTEMS_NAME
        )
    )
    return PostmortemsConfig.model_validate(spec) if spec is not None else PostmortemsConfig()


def required(settings: PostmortemsConfig, severity: str) -> bool:
    """Whether an incident of ``severity`` requires a postmortem."""
    return level_key(severity) in {level_key(level) for level in settings.required_for}


def template_names(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(Definition.name)
            .where(Definition.kind == POSTMORTEM_TEMPLATE)
            .order_by(Definition.name)
        )
    )


def template(session: Session, name: str) -> PostmortemTemplateConfig:
    """The template called ``name``; 422 naming ``template`` when none is defined."""
    spec = session.scalar(
        select(Definition.spec).where(
            Definition.kind == POSTMORTEM_TEMPLATE, Definition.name == name
        )
    )
    if spec is None:
        raise Invalid("template", unknown("postmortem template", name, template_names(session)))
    return PostmortemTemplateConfig.model_validate(spec)


def _examples(model: PostmortemTemplateConfig) -> dict[str, str]:
    """A template's example content by section key, shown as hints."""
    lists = {
        "contributing_factors": model.contributing_factors,
        "what_went_well": model.what_went_well,
        "what_went_poorly": model.what_went_wrong,
        "where_we_got_lucky": model.where_we_got_lucky,
    }
    found = {
        "summary": model.summary.strip(),
        "root_cause": model.root_cause.strip(),
        "trigger": model.trigger.strip(),
        "detection": model.detection.strip(),
        "resolution": model.resolution.strip(),
        **{key: "; ".join(points) for key, points in lists.items()},
    }
    return {key: text for key, text in found.items() if text}


def sections(model: PostmortemTemplateConfig | None) -> tuple[Section, ...]:
    """The sections a draft with template ``model`` has (None: the standard ones)."""
    if model is None:
        return sections_of([])
    chosen = [(s.key, s.title, s.kind, s.hint) for s in model.sections]
    return sections_of(chosen, _examples(model))


def public_sections(session: Session, template_name: str | None) -> frozenset[str]:
    """The keys of the sections a public version shows: the defaults, then the template's say.

    A template removed since the postmortem was drafted leaves the defaults.
    """
    spec = None
    if template_name is not None:
        spec = session.scalar(
            select(Definition.spec).where(
                Definition.kind == POSTMORTEM_TEMPLATE, Definition.name == template_name
            )
        )
    if spec is None:
        return PUBLIC_SECTIONS
    model = PostmortemTemplateConfig.model_validate(spec)
    shown = set(PUBLIC_SECTIONS)
    for section in model.sections:
        if section.public is True:
            shown.add(section.key)
        elif section.public is False:
            shown.discard(section.key)
    return frozenset(shown)
