"""Postmortems: the blameless review every serious incident ends with.

Where things are:

- ``config_schema`` and ``config_kinds``: ``postmortem:`` (a template, named after its
  file; the seed's postmortem-template.yaml) and ``postmortems:`` (which severities
  require one, when it is due, the template drafts use).
- What a draft holds and how it is made is pure: :mod:`tocsin.domain.postmortem_document`
  and :mod:`tocsin.domain.postmortem_draft`.
"""
