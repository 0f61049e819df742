"""The cyclic garbage collector, for processes whose work makes many objects at once.

Reference counting frees almost everything the services make; the cyclic collector only
finds cycles. At Python's default it passes over the youngest objects every 700 allocations,
and whatever is still alive (a report being built, a batch being replayed) is walked again
and again as it ages through the generations. Collecting less often costs a few megabytes
of cycles kept a little longer.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collecting_less_often(allocations: int) -> Iterator[None]:
    """Pass over the youngest objects only every ``allocations`` allocations for the
    duration; then as before."""
    before = gc.get_threshold()
    gc.set_threshold(allocations, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
