"""Event consumers of the commitments service.

None yet: the read models are written in the same transaction as the events they reflect
(see ``commitments.adapters.unit_of_work``), so there is nothing to rebuild from JetStream.
"""

from __future__ import annotations

from sqlalchemy import Table
from svledger.consumers import Consumer

CONSUMERS: list[Consumer] = []

# `svl rebuild commitments` replays consumers only; the inline read models are not listed.
READ_MODEL_TABLES: list[Table] = []
