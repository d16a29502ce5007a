"""Travel seconds from sources to targets, kept sparsely per target: only the pairs within the target's limit."""

from dataclasses import dataclass

import numpy as np

from engine.travel.backend import UNREACHABLE
from engine.travel.network import IntArray


@dataclass(frozen=True, slots=True, eq=False)
class TravelTable:
    """For target ``j``: ``sources[indptr[j]:indptr[j + 1]]`` are the positions (ascending) of the sources that
    reach it within its limit, and ``seconds`` the matching travel seconds. Positions index the sequences the
    table was asked for, so a caller maps them back to its own entities.
    """

    num_sources: int
    indptr: IntArray
    sources: IntArray
    seconds: IntArray

    @property
    def num_targets(self) -> int:
        return len(self.indptr) - 1

    def column(self, target: int) -> tuple[IntArray, IntArray]:
        """The sources that reach ``target`` within its limit, and their seconds."""
        lo, hi = int(self.indptr[target]), int(self.indptr[target + 1])
        return self.sources[lo:hi], self.seconds[lo:hi]

    def lookup(self, target: int, sources: IntArray) -> IntArray:
        """Seconds from each of ``sources`` (positions) to ``target``; ``UNREACHABLE`` beyond its limit."""
        reached, seconds = self.column(target)
        if len(reached) == 0:
            return np.full(len(sources), UNREACHABLE, dtype=np.int64)
        at = np.minimum(np.searchsorted(reached, sources), len(reached) - 1)
        found = reached[at] == sources
        result: IntArray = np.where(found, seconds[at].astype(np.int64, copy=False), UNREACHABLE)
        return result

    def pairs(self, targets: IntArray, sources: IntArray) -> IntArray:
        """Seconds for each (target, source) pair of positions; ``UNREACHABLE`` beyond the target's limit."""
        if len(self.sources) == 0:
            return np.full(len(targets), UNREACHABLE, dtype=np.int64)
        # Entries are ascending by target, then source: one sorted key per entry.
        keys = np.repeat(np.arange(self.num_targets, dtype=np.int64), np.diff(self.indptr)) * self.num_sources
        keys += self.sources
        wanted = targets * self.num_sources + sources
        at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        result: IntArray = np.where(keys[at] == wanted, self.seconds[at].astype(np.int64), UNREACHABLE)
        return result

    def dense(self) -> IntArray:
        """Shape ``(num_sources, num_targets)``, ``UNREACHABLE`` where a pair is beyond the target's limit."""
        matrix = np.full((self.num_sources, self.num_targets), UNREACHABLE, dtype=np.int64)
        targets = np.repeat(np.arange(self.num_targets, dtype=np.int64), np.diff(self.indptr))
        matrix[self.sources, targets] = self.seconds
        return matrix


def table_from_pairs(
    num_sources: int, num_targets: int, sources: IntArray, targets: IntArray, seconds: IntArray
) -> TravelTable:
    """A table from pairs in any order; each (source, target) pair must appear at most once."""
    order = np.lexsort((sources, targets))
    indptr = np.zeros(num_targets + 1, dtype=np.int64)
    np.cumsum(np.bincount(targets, minlength=num_targets), out=indptr[1:])
    return TravelTable(
        num_sources=num_sources,
        indptr=indptr,
        sources=sources[order].astype(np.int64, copy=False),
        seconds=seconds[order].astype(np.int64, copy=False),
    )
