"""Example answers of the public v2 status API, copied from public sources as literals.

``DOCUMENTED``: the examples of Statuspage's own documentation of the API (the ``/api``
page of a hosted status page), with a page's ids filled in as that page shows them.
Only ``summary.json``, ``status.json`` and ``components.json`` have an example there
whose text is kept here; the incident and maintenance lists are those of the
``summary.json`` example, which the documentation shows in the same shape.

``LIVE``: answers of live hosted pages, as kept verbatim in public code that reads them
(GitHub's page, 2024; Discord's page, 2019 and 2022), trimmed to a few items. One is
adapted, and says so: ``GROUPED_COMPONENTS``.
"""

from __future__ import annotations

import copy
from typing import Any

Payload = dict[str, Any]

# --- Statuspage's documentation ---------------------------------------------------------

_DOC_PAGE: Payload = {
    "id": "kctbh9vrtdwd",
    "name": "GitHub",
    "url": "https://www.githubstatus.com",
    "updated_at": "2024-02-05T08:31:08Z",
}

_DOC_STATUS: Payload = {"description": "Partial System Outage", "indicator": "major"}

_DOC_COMPONENTS_OF_SUMMARY: list[Payload] = [
    {
        "created_at": "2014-05-03T01:22:07.274Z",
        "description": None,
        "id": "b13yz5g2cw10",
        "name": "API",
        "page_id": "kctbh9vrtdwd",
        "position": 1,
        "status": "partial_outage",
        "updated_at": "2014-05-14T20:34:43.340Z",
    },
    {
        "created_at": "2014-05-03T01:22:07.286Z",
        "description": None,
        "id": "9397cnvk62zn",
        "name": "Management Portal",
        "page_id": "kctbh9vrtdwd",
        "position": 2,
        "status": "major_outage",
        "updated_at": "2014-05-14T20:34:44.470Z",
    },
]

_DOC_COMPONENTS: list[Payload] = [
    {
        **_DOC_COMPONENTS_OF_SUMMARY[0],
        "group": False,
        "group_id": None,
        "only_show_if_degraded": False,
        "showcase": True,
        "start_date": None,
    },
    {
        **_DOC_COMPONENTS_OF_SUMMARY[1],
        "group": False,
        "group_id": None,
        "only_show_if_degraded": False,
        "showcase": True,
        "start_date": None,
    },
]

_DOC_INCIDENTS: list[Payload] = [
    {
        "created_at": "2014-05-14T14:22:39.441-06:00",
        "id": "cp306tmzcl0y",
        "impact": "critical",
        "incident_updates": [
            {
                "body": "Our master database has ham sandwiches flying out of the rack, and we're"
                " working our hardest to stop the bleeding. The whole site is down while we"
                " restore functionality, and we'll provide another update within 30 minutes.",
                "created_at": "2014-05-14T14:22:40.301-06:00",
                "display_at": "2014-05-14T14:22:40.301-06:00",
                "id": "jdy3tw5mt5r5",
                "incident_id": "cp306tmzcl0y",
                "status": "identified",
                "updated_at": "2014-05-14T14:22:40.301-06:00",
            }
        ],
        "monitoring_at": None,
        "name": "Unplanned Database Outage",
        "page_id": "kctbh9vrtdwd",
        "resolved_at": None,
        "shortlink": "http://stspg.co:5000/Q0E",
        "status": "identified",
        "updated_at": "2014-05-14T14:35:21.711-06:00",
    }
]

_DOC_MAINTENANCES: list[Payload] = [
    {
        "created_at": "2014-05-14T14:24:40.430-06:00",
        "id": "w1zdr745wmfy",
        "impact": "none",
        "incident_updates": [
            {
                "body": "Our data center has informed us that they will be performing routine"
                " network maintenance. No interruption in service is expected. Any issues"
                " during this maintenance should be directed to our support center",
                "created_at": "2014-05-14T14:24:41.913-06:00",
                "display_at": "2014-05-14T14:24:41.913-06:00",
                "id": "qq0vx910b3qj",
                "incident_id": "w1zdr745wmfy",
                "status": "scheduled",
                "updated_at": "2014-05-14T14:24:41.913-06:00",
            }
        ],
        "monitoring_at": None,
        "name": "Network Maintenance (No Interruption Expected)",
        "page_id": "kctbh9vrtdwd",
        "resolved_at": None,
        "scheduled_for": "2014-05-17T22:00:00.000-06:00",
        "scheduled_until": "2014-05-17T23:30:00.000-06:00",
        "shortlink": "http://stspg.co:5000/Q0F",
        "status": "scheduled",
        "updated_at": "2014-05-14T14:24:41.918-06:00",
    },
    {
        "created_at": "2014-05-14T14:27:17.303-06:00",
        "id": "k7mf5z1gz05c",
        "impact": "minor",
        "incident_updates": [
            {
                "body": "Scheduled maintenance is currently in progress. We will provide"
                " updates as necessary.",
                "created_at": "2014-05-14T14:34:20.036-06:00",
                "display_at": "2014-05-14T14:34:20.036-06:00",
                "id": "drs62w8df6fs",
                "incident_id": "k7mf5z1gz05c",
                "status": "in_progress",
                "updated_at": "2014-05-14T14:34:20.036-06:00",
            },
            {
                "body": "We will be performing rolling upgrades to our web tier with a new"
                " kernel version so that Heartbleed will stop making us lose sleep at night.",
                "created_at": "2014-05-14T14:27:18.845-06:00",
                "display_at": "2014-05-14T14:27:18.845-06:00",
                "id": "z40y7398jqxc",
                "incident_id": "k7mf5z1gz05c",
                "status": "scheduled",
                "updated_at": "2014-05-14T14:27:18.845-06:00",
            },
        ],
        "monitoring_at": None,
        "name": "Web Tier Recycle",
        "page_id": "kctbh9vrtdwd",
        "resolved_at": None,
        "scheduled_for": "2014-05-14T14:30:00.000-06:00",
        "scheduled_until": "2014-05-14T16:30:00.000-06:00",
        "shortlink": "http://stspg.co:5000/Q0G",
        "status": "in_progress",
        "updated_at": "2014-05-14T14:35:12.258-06:00",
    },
]


def _documented() -> dict[str, Payload]:
    page = {"page": _DOC_PAGE}
    upcoming = [m for m in _DOC_MAINTENANCES if m["status"] == "scheduled"]
    active = [m for m in _DOC_MAINTENANCES if m["status"] == "in_progress"]
    return {
        "/api/v2/summary.json": {
            **page,
            "status": _DOC_STATUS,
            "components": _DOC_COMPONENTS_OF_SUMMARY,
            "incidents": _DOC_INCIDENTS,
            "scheduled_maintenances": _DOC_MAINTENANCES,
        },
        "/api/v2/status.json": {**page, "status": _DOC_STATUS},
        "/api/v2/components.json": {**page, "components": _DOC_COMPONENTS},
        "/api/v2/incidents.json": {**page, "incidents": _DOC_INCIDENTS},
        "/api/v2/incidents/unresolved.json": {**page, "incidents": _DOC_INCIDENTS},
        "/api/v2/scheduled-maintenances.json": {
            **page,
            "scheduled_maintenances": _DOC_MAINTENANCES,
        },
        "/api/v2/scheduled-maintenances/upcoming.json": {
            **page,
            "scheduled_maintenances": upcoming,
        },
        "/api/v2/scheduled-maintenances/active.json": {**page, "scheduled_maintenances": active},
    }


# --- Live pages ---------------------------------------------------------------------------

_DISCORD_PAGE_2022: Payload = {
    "id": "srhpyqt94yxb",
    "name": "Discord",
    "url": "https://discordstatus.com",
    "time_zone": "America/Tijuana",
    "updated_at": "2022-02-15T13:37:37.407-08:00",
}

_DISCORD_API_2022: Payload = {
    "id": "rhznvxg4v7yh",
    "name": "API",
    "status": "operational",
    "created_at": "2015-07-30T18:55:43.739-07:00",
    "updated_at": "2022-02-15T13:21:55.150-08:00",
    "position": 1,
    "description": "The API is responsible for sending and receiving messages, and general"
    " operations on the platform.",
    "showcase": True,
    "start_date": None,
    "group_id": None,
    "page_id": "srhpyqt94yxb",
    "group": False,
    "only_show_if_degraded": False,
}


def _discord_update(incident_id: str, update_id: str, status: str, at: str) -> Payload:
    """An update of Discord's 2022 answers, its body shortened."""
    return {
        "id": update_id,
        "status": status,
        "body": "This incident has been resolved." if status == "resolved" else "Update.",
        "incident_id": incident_id,
        "created_at": at,
        "updated_at": at,
        "display_at": at,
        "affected_components": None,
        "deliver_notifications": True,
        "custom_tweet": None,
        "tweet_id": None,
    }


_DISCORD_INCIDENT_2022: Payload = {
    "id": "n4njzfn1mqy0",
    "name": "Messaging issues",
    "status": "resolved",
    "created_at": "2022-02-15T13:14:17.744-08:00",
    "updated_at": "2022-02-15T13:37:37.404-08:00",
    "monitoring_at": "2022-02-15T13:21:55.183-08:00",
    "resolved_at": "2022-02-15T13:37:37.388-08:00",
    "impact": "minor",
    "shortlink": "https://stspg.io/y1w39cblgvhz",
    "started_at": "2022-02-15T13:14:17.737-08:00",
    "page_id": "srhpyqt94yxb",
    "incident_updates": [
        {
            **_discord_update(
                "n4njzfn1mqy0", "g93t2s4f10jh", "resolved", "2022-02-15T13:37:37.388-08:00"
            ),
            "affected_components": [
                {
                    "code": "rhznvxg4v7yh",
                    "name": "API",
                    "old_status": "operational",
                    "new_status": "operational",
                }
            ],
        },
        {
            **_discord_update(
                "n4njzfn1mqy0", "7gv6pn1zyz2n", "investigating", "2022-02-15T13:14:17.849-08:00"
            ),
            "body": "We're investigating high latency related to channels and messages.",
            "affected_components": [
                {
                    "code": "rhznvxg4v7yh",
                    "name": "API",
                    "old_status": "operational",
                    "new_status": "degraded_performance",
                }
            ],
        },
    ],
    "components": [_DISCORD_API_2022],
}

_DISCORD_MAINTENANCE_2022: Payload = {
    "id": "chkt3cr0jf7b",
    "name": "(ﾉ◕ヮ◕)ﾉ*:･ﾟ✧ Server Juice",
    "status": "completed",
    "created_at": "2015-09-18T18:20:40.535-07:00",
    "updated_at": "2015-09-22T02:25:20.086-07:00",
    "monitoring_at": "2015-09-22T01:07:50.805-07:00",
    "resolved_at": "2015-09-22T02:25:20.034-07:00",
    "impact": "major",
    "shortlink": "http://stspg.io/1UdW",
    "started_at": "2015-09-18T18:20:00.000-07:00",
    "page_id": "srhpyqt94yxb",
    "incident_updates": [
        _discord_update(
            "chkt3cr0jf7b", "m4nqbp4s5jxj", "completed", "2015-09-22T02:25:20.034-07:00"
        ),
        _discord_update(
            "chkt3cr0jf7b", "l44j4c4st6mh", "verifying", "2015-09-22T01:07:50.805-07:00"
        ),
    ],
    "components": [],
    "scheduled_for": "2015-09-22T01:00:00.000-07:00",
    "scheduled_until": "2015-09-22T01:30:00.000-07:00",
}

_DISCORD_PAGE_2019: Payload = {
    "id": "srhpyqt94yxb",
    "name": "Discord",
    "url": "http://status.discordapp.com",
    "time_zone": "America/Tijuana",
    "updated_at": "2019-06-24T06:07:14.473-07:00",
}

_DISCORD_UNRESOLVED_2019: Payload = {
    "id": "2gztsrksff0v",
    "name": "Global Unavailability",
    "status": "investigating",
    "created_at": "2019-06-24T05:25:57.666-07:00",
    "updated_at": "2019-06-24T06:07:14.465-07:00",
    "monitoring_at": None,
    "resolved_at": None,
    "impact": "none",
    "shortlink": "http://stspg.io/15e073752",
    "started_at": "2019-06-24T05:25:57.659-07:00",
    "page_id": "srhpyqt94yxb",
    "incident_updates": [
        {
            "id": "xxqwgv42dnx5",
            "status": "investigating",
            "body": "We are working on resolving some internal technical problems now.",
            "incident_id": "2gztsrksff0v",
            "created_at": "2019-06-24T06:07:14.463-07:00",
            "updated_at": "2019-06-24T06:07:14.463-07:00",
            "display_at": "2019-06-24T06:07:14.463-07:00",
            "affected_components": None,
            "deliver_notifications": False,
            "custom_tweet": None,
            "tweet_id": None,
        }
    ],
    "components": [],
}

# A maintenance of Discord's 2019 answers with the placeholder that old pages show;
# the schema refuses it (see statuspage_v2's docstring).
PLACEHOLDER_MAINTENANCE_2019: Payload = {
    "page": _DISCORD_PAGE_2019,
    "scheduled_maintenances": [
        {
            "id": "ymm0202y77k6",
            "name": "Potentially Disruptive Upgrade",
            "status": "completed",
            "created_at": "2016-10-16T16:57:33.416-07:00",
            "updated_at": "2016-10-19T02:39:00.299-07:00",
            "monitoring_at": None,
            "resolved_at": "2016-10-19T02:39:00.274-07:00",
            "impact": "maintenance",
            "shortlink": "http://stspg.io/4ERc",
            "started_at": "2016-10-16T16:57:00.000-07:00",
            "page_id": "srhpyqt94yxb",
            "incident_updates": [
                {
                    "id": "jd5jjsflj0x5",
                    "status": "in_progress",
                    "body": "This maintenance is currently in progress.",
                    "incident_id": "ymm0202y77k6",
                    "created_at": "2016-10-19T02:07:00.712-07:00",
                    "updated_at": "2016-10-19T02:07:00.712-07:00",
                    "display_at": "2016-10-19T02:07:00.712-07:00",
                    "affected_components": [
                        {"name": "No components were affected by this update."}
                    ],
                    "deliver_notifications": True,
                    "custom_tweet": None,
                    "tweet_id": None,
                }
            ],
            "components": [],
            "scheduled_for": "2016-10-19T02:00:00.000-07:00",
            "scheduled_until": "2016-10-19T03:00:00.000-07:00",
        }
    ],
}


def _github_component(ident: str, name: str, position: int, start_date: str | None) -> Payload:
    """A component of GitHub's 2024 ``summary.json``: ids, names, positions and start dates
    as captured, the timestamps of "Actions" for all three."""
    return {
        "id": ident,
        "name": name,
        "status": "operational",
        "created_at": "2019-11-13T18:02:19.432Z",
        "updated_at": "2024-01-21T06:19:52.242Z",
        "position": position,
        "description": None,
        "showcase": False,
        "start_date": start_date,
        "group_id": None,
        "page_id": "kctbh9vrtdwd",
        "group": False,
        "only_show_if_degraded": False,
    }


GITHUB_SUMMARY_2024: Payload = {
    "page": {
        "id": "kctbh9vrtdwd",
        "name": "GitHub",
        "url": "https://www.githubstatus.com",
        "time_zone": "Etc/UTC",
        "updated_at": "2024-02-05T08:31:08.006Z",
    },
    "components": [
        _github_component("br0l2tvcx85d", "Actions", 7, None),
        _github_component("h2ftsgbw7kmk", "Codespaces", 10, "2021-08-11"),
        _github_component("pjmpxvq2cmr2", "Copilot", 11, "2022-06-21"),
    ],
    "incidents": [],
    "scheduled_maintenances": [],
    "status": {"indicator": "none", "description": "All Systems Operational"},
}


def _discord_2019_component(ident: str, name: str, group_id: str | None) -> Payload:
    return {
        "id": ident,
        "name": name,
        "status": "operational",
        "created_at": "2015-07-30T20:36:41.891-07:00",
        "updated_at": "2018-07-17T13:00:35.378-07:00",
        "position": 1,
        "description": None,
        "showcase": False,
        "start_date": None,
        "group_id": group_id,
        "page_id": "srhpyqt94yxb",
        "group": False,
        "only_show_if_degraded": False,
    }


# Discord's 2019 ``components.json`` with its group "Voice" (13 children, one kept).
# Adapted: ``start_date: null`` added, which pages have sent since (2022, 2024 above).
GROUPED_COMPONENTS: Payload = {
    "page": _DISCORD_PAGE_2019,
    "components": [
        _discord_2019_component("0cwvg0jp5cbg", "EU West", "jk03xttfcz9b"),
        {
            **_discord_2019_component("jk03xttfcz9b", "Voice", None),
            "position": 5,
            "group": True,
            "components": ["0cwvg0jp5cbg"],
        },
    ],
}


def _live() -> dict[str, list[Payload]]:
    page = {"page": _DISCORD_PAGE_2022}
    return {
        "/api/v2/summary.json": [
            GITHUB_SUMMARY_2024,
            {
                **page,
                "components": [_DISCORD_API_2022],
                "incidents": [],
                "scheduled_maintenances": [],
                "status": {"indicator": "none", "description": "All Systems Operational"},
            },
        ],
        "/api/v2/status.json": [
            {**page, "status": {"indicator": "none", "description": "All Systems Operational"}}
        ],
        "/api/v2/components.json": [
            {**page, "components": [_DISCORD_API_2022]},
            GROUPED_COMPONENTS,
        ],
        "/api/v2/incidents.json": [{**page, "incidents": [_DISCORD_INCIDENT_2022]}],
        "/api/v2/incidents/unresolved.json": [
            {**page, "incidents": []},
            {"page": _DISCORD_PAGE_2019, "incidents": [_DISCORD_UNRESOLVED_2019]},
        ],
        "/api/v2/scheduled-maintenances.json": [
            {**page, "scheduled_maintenances": [_DISCORD_MAINTENANCE_2022]}
        ],
        "/api/v2/scheduled-maintenances/upcoming.json": [{**page, "scheduled_maintenances": []}],
        "/api/v2/scheduled-maintenances/active.json": [{**page, "scheduled_maintenances": []}],
    }


def documented(endpoint: str) -> Payload:
    """A fresh copy of the documentation's example of ``endpoint``."""
    return copy.deepcopy(_documented()[endpoint])


def live(endpoint: str) -> list[Payload]:
    """Fresh copies of the live answers of ``endpoint``."""
    return copy.deepcopy(_live()[endpoint])


def unresolved_incident() -> Payload:
    """A fresh copy of Discord's 2019 unresolved incident, full live shape."""
    return copy.deepcopy(_DISCORD_UNRESOLVED_2019)
