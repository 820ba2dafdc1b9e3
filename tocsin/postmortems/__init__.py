"""Postmortems: the blameless review every serious incident ends with.

Where things are:

- ``config_schema`` and ``config_kinds``: ``postmortem:`` (a template, named after its
  file; the seed's postmortem-template.yaml) and ``postmortems:`` (which severities
  require one, when it is due, reminders, the template drafts use); ``configured``
  reads them back.
- ``tables``: the postmortem (its document as JSON), its versions, reviewers, action
  items and review meeting.
- What a draft holds and how it is made is pure: :mod:`tocsin.domain.postmortem_document`
  and :mod:`tocsin.domain.postmortem_draft`; ``facts`` gathers what a draft is made from.
- ``creation``: drafting one, when a required incident resolves (the composition root
  runs :func:`~tocsin.postmortems.creation.follow_incident` in ``incident.changed``) or
  when asked. ``editing``: the document, the owner, the due date. ``versions``: every
  change a version with its diff, and an entry on the incident's timeline.
- ``workflow``: submit, review, publish, close (the rules are
  :mod:`tocsin.domain.postmortem_workflow`); ``meetings``: the review
  meeting's attendees, scheduling, and its iCalendar invitation (the
  ``postmortems.invitation`` job).
- ``action_items``: an action item's only two writes (``add``, ``change``), of a
  postmortem, an incident or neither, each in the item's history (the audit log);
  ``action_item_finding``: by reference, listed, its history;
  ``action_item_reminders`` (the ``action_items.reminder`` job): the owner's reminders;
  ``digests`` (the ``action_items.digest`` job chain): each team's weekly digest;
  ``runbook_proposals``: "update the runbook" items when a postmortem is drafted.
- ``language``: the blameless language check (its rules are
  :mod:`tocsin.domain.blameless`) with the configured rules and every user's name.
- ``reminders`` (the ``postmortems.reminder`` job) and ``notices`` (the
  ``postmortems.message`` job, through paging's path) remind the owner; ``notices``
  also carries the action items' reminders and digests.
- Issue trackers: ``trackers`` (the ``issue_trackers:`` configuration, what an adapter
  does), the adapters ``tracker_github``, ``tracker_jira`` and ``tracker_webhook`` over
  ``tracker_http``; ``tracker_push`` (the ``postmortems.tracker_push`` job, queued when
  an action item is added or changed), ``tracker_sync`` (the ``postmortems.tracker_poll``
  job; statuses applied back), ``tracker_routes`` (signed inbound events).
- ``finding``: by reference, by incident, listed. ``export``: the seed's format.
- ``documents``: the rendering model every format is drawn from (Markdown and HTML
  through ``templates/``, PDF printed from the HTML), internal or public;
  ``public``: the public version put on the incident's status page entry (through
  :mod:`tocsin.statuspage.public_postmortems`), refreshed or withdrawn.
- ``routes`` (the document), ``review_routes`` (the workflow), ``export_routes``
  (files, the public version) and ``action_item_routes`` (``/api/v1/action-items``),
  ``schemas`` and ``outputs``: the API; ``cli``: ``tocsin postmortem``;
  ``action_item_cli``: ``tocsin action-item``.
"""
