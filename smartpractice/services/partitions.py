"""Students are hashed into partitions; one worker applies a partition at a time."""

from __future__ import annotations

import zlib

__all__ = ["partition_of"]


def partition_of(student_id: str, partitions: int) -> int:
    """The student's partition (0 to partitions-1): a stable hash, the same in every process."""
    return zlib.crc32(student_id.encode()) % partitions
