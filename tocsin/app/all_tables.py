"""Import every module that defines tables so that ``Base.metadata`` is complete.

Migrations and ``create_all`` need every table; each capability owns its own
``tables.py``, and a new capability adds its module here.
"""

from tocsin.alerts import tables as alerts
from tocsin.auth import tables as auth
from tocsin.config import tables as config
from tocsin.db import audit
from tocsin.engine import tables as engine
from tocsin.incidents import tables as incidents
from tocsin.metrics import tables as metrics
from tocsin.notify import tables as notify
from tocsin.oncall import tables as oncall
from tocsin.paging import tables as paging
from tocsin.postmortems import tables as postmortems
from tocsin.statuspage import tables as statuspage

__all__ = [
    "alerts",
    "audit",
    "auth",
    "config",
    "engine",
    "incidents",
    "metrics",
    "notify",
    "oncall",
    "paging",
    "postmortems",
    "statuspage",
]
