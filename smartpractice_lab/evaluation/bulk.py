"""Building and replaying hundreds of thousands of small records without the cyclic
garbage collector.

Reading a response file creates a list and a `Response` per row, and a replay creates a few
frozen rating records per attempt while the store keeps the latest ones alive. Every 700
new container objects CPython runs a collection, and now and then a full one over every
live object; none of these records form reference cycles (reference counting frees them),
so on assistments09 the collector only costs time: about a third of reading the files and a
tenth of the production model's replay.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector inside the block, and restore its previous state
    after it (nested blocks and callers that had already disabled it are left as they were).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
