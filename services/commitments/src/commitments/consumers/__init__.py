"""Event consumers of the commitments service: suppliers' track records from measurement.

The other read models are written in the same transaction as the events they reflect (see
``commitments.adapters.unit_of_work``); only the track records come from JetStream, so only
their tables are emptied and replayed by ``svl rebuild commitments``.
"""

from __future__ import annotations

from sqlalchemy import Table
from svledger.consumers import Consumer

from commitments.adapters.tables import TRACK_RECORD_TABLES
from commitments.consumers.track_record import ALERTS, SCHEDULES

CONSUMERS: list[Consumer] = [SCHEDULES, ALERTS]

# What `svl rebuild commitments` empties before replaying the consumers above: the track-record
# tables, never the inline read models (they are not kept from JetStream).
READ_MODEL_TABLES: list[Table] = list(TRACK_RECORD_TABLES)
