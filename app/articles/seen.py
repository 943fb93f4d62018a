"""Which readers were counted lately, for the workers of one machine on SQLite: a hash
table in a file beside the database, mapped into every worker's memory, so that a view
costs a few reads and writes of memory instead of a row written to and pruned from the
database (two random pages a view: about half of what a beacon cost beyond a cached read).
SQLite never spans machines, so neither need its dedupe; PostgreSQL without Redis keeps
the digests in the database.

The file holds three tables of ``2 ** slot_bits`` slots, each slot a digest (64 bits of
the keyed HMAC of a reader and an article, app.articles.views) and when it stops
counting as seen (UTC seconds). Time is cut in generations as long as the dedupe window:
a digest is written in its generation's table, and looked for there and in the previous
generation's; the table of two generations back is emptied by the first views recorded
in a generation, so that while views come no digest stays more than twice the window
(SECURITY.md). Workers take the file's lock (``flock``) for a batch of views, not for
each.

A table holds at most three quarters of its slots. Beyond (a site with more first views
in a window than that), the digests the file cannot hold go to the database's table, and
while any table in the window has overflowed, the database decides for every view the
file has not seen: a full file counts no view twice, it only costs what the database
costs. A file of another version or size is replaced by a new one (a moment of views
counted again, as after a restart of Redis); a worker that finds the path now names
another file maps that one.
"""

import fcntl
import math
import mmap
import os
import struct
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

MAGIC = b"AKHBSEEN"
VERSION = 1
SLOT_BITS = 21  # 2 M slots a table, 24 MB (a sparse file: only the slots used take room)
TABLES = 3
FULL = 0.75  # of its slots, a table holds at most this share
_HEADER = struct.Struct("<8sII")  # magic, version, slot bits
_TABLE = struct.Struct("<qQQ")  # generation, digests held, overflowed (0 or 1)
_SLOT = struct.Struct("<QI")  # digest (0: empty), seen until (UTC seconds)
_UNTIL, _UNTIL_AT = struct.Struct("<I"), 8
_MASK = (1 << 64) - 1


class SeenFile:
    def __init__(self, path: Path, *, window_seconds: int, slot_bits: int = SLOT_BITS) -> None:
        self.path = path
        self._window = window_seconds
        self._slots = 1 << slot_bits
        self._capacity = int(self._slots * FULL)
        # Each table on whole pages of its own, so that one is emptied alone.
        self._table_bytes = -(-self._slots * _SLOT.size // mmap.PAGESIZE) * mmap.PAGESIZE
        self._size = mmap.PAGESIZE + TABLES * self._table_bytes
        self._header = _HEADER.pack(MAGIC, VERSION, slot_bits)
        self._thread_lock = threading.Lock()
        self._fd = -1
        self._inode = 0
        self._map: mmap.mmap | None = None
        self._open()

    @contextmanager
    def first(
        self, views: Iterable[tuple[int, float]], now: float
    ) -> Iterator[tuple[list[int], bool]]:
        """Of ``views`` (a digest, signed or not, and the view's time in UTC seconds; one
        view a digest), the digests not seen within the window, each now held for the
        window from its view; and whether the database must decide among those too (a
        table in the window overflowed). The file stays locked until the block ends, in
        which the caller records the views; if it ends in an error, the digests are let
        go again, so that the views count when they are recorded again."""
        generation = int(now // self._window)
        unseen: list[int] = []
        written: list[int] = []
        with self._locked() as memory:
            current = self._table(memory, generation, fresh=True)
            previous = self._table(memory, generation - 1, fresh=False)
            # The table of two windows back, emptied now rather than when it is reused.
            self._table(memory, generation + 1, fresh=True)
            assert current is not None
            _, held, overflowed = _TABLE.unpack_from(memory, self._head(current))
            for digest, at in views:
                key = digest & _MASK or 1
                slot, until = self._find(memory, current, key)
                new = until is None  # not in this generation's table
                if new and previous is not None:
                    until = self._find(memory, previous, key)[1]
                if until is not None and until > at:
                    continue  # seen within the window
                unseen.append(digest)
                if new:
                    if held >= self._capacity:
                        overflowed = 1
                        continue
                    held += 1
                _SLOT.pack_into(memory, slot, key, math.ceil(at) + self._window)
                written.append(slot)
            _TABLE.pack_into(memory, self._head(current), generation, held, overflowed)
            if previous is not None:
                overflowed |= _TABLE.unpack_from(memory, self._head(previous))[2]
            try:
                yield unseen, bool(overflowed)
            except BaseException:
                for slot in written:  # seen until long ago: a slot kept, its digest let go
                    _UNTIL.pack_into(memory, slot + _UNTIL_AT, 0)
                raise

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    # The file.

    def _open(self) -> None:
        """Map the file at the path, made anew if missing or of another kind."""
        self.close()
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR)
            except FileNotFoundError:
                self._make(replace=False)
                continue
            if os.fstat(fd).st_size == self._size and os.pread(fd, _HEADER.size, 0) == self._header:
                break
            os.close(fd)
            self._make(replace=True)
        self._fd = fd
        self._inode = os.fstat(fd).st_ino
        self._map = mmap.mmap(fd, self._size)

    def _make(self, *, replace: bool) -> None:
        """A new empty file (sparse) at the path: put there whole, so that no worker maps a
        file half made; if another worker made one first, its file stays."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        made = self.path.with_name(f"{self.path.name}.{os.getpid()}.{threading.get_ident()}")
        fd = os.open(made, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.ftruncate(fd, self._size)
            os.pwrite(fd, self._header, 0)
        finally:
            os.close(fd)
        try:
            if replace:
                os.replace(made, self.path)
            else:
                os.link(made, self.path)
        except FileExistsError:
            pass
        finally:
            made.unlink(missing_ok=True)

    @contextmanager
    def _locked(self) -> Iterator[mmap.mmap]:
        with self._thread_lock:
            try:
                if os.stat(self.path).st_ino != self._inode:
                    self._open()  # replaced by a worker that found it of another kind
            except FileNotFoundError:
                self._open()
            assert self._map is not None
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield self._map
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    # The tables, by their index: each one's header is in the file's first page.

    def _table(self, memory: mmap.mmap, generation: int, *, fresh: bool) -> int | None:
        """The index of ``generation``'s table; made empty for it if ``fresh`` and it
        held another generation, else None if it does not hold this one."""
        index = generation % TABLES
        if _TABLE.unpack_from(memory, self._head(index))[0] == generation:
            return index
        if not fresh:
            return None
        self._empty(memory, index)
        _TABLE.pack_into(memory, self._head(index), generation, 0, 0)
        return index

    @staticmethod
    def _head(index: int) -> int:
        return _HEADER.size + index * _TABLE.size

    def _start(self, index: int) -> int:
        return mmap.PAGESIZE + index * self._table_bytes

    def _empty(self, memory: mmap.mmap, index: int) -> None:
        """Zeros over a table: its disk space and memory given back where the file system
        can (a hole punched), written over otherwise."""
        start, length = self._start(index), self._table_bytes
        try:
            memory.madvise(mmap.MADV_REMOVE, start, length)
            return
        except (AttributeError, OSError):
            pass
        zeros = bytes(min(length, 1 << 20))
        for offset in range(start, start + length, len(zeros)):
            end = min(offset + len(zeros), start + length)
            memory[offset:end] = zeros[: end - offset]

    def _find(self, memory: mmap.mmap, index: int, key: int) -> tuple[int, int | None]:
        """The offset of the slot holding ``key`` and its time, or of the empty slot where
        it would go and None (linear probing: a table is never full, FULL)."""
        start, mask = self._start(index), self._slots - 1
        slot = key & mask
        while True:
            offset = start + slot * _SLOT.size
            digest, until = _SLOT.unpack_from(memory, offset)
            if digest == key:
                return offset, until
            if digest == 0:
                return offset, None
            slot = (slot + 1) & mask
