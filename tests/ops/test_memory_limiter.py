"""The in-process rate limiter (SQLite deployments, no Redis): exact counts, and memory
and work that stay bounded however many clients come (each a new address)."""

import time

from app.http.limits import FORGET_AT, MemoryLimiter


def test_a_window_counts_and_resets() -> None:
    limiter = MemoryLimiter()
    states = [limiter.hit("203.0.113.7", limit=3, window_seconds=1) for _ in range(4)]
    assert [state.allowed for state in states] == [True, True, True, False]
    assert limiter.hit("198.51.100.1", limit=3, window_seconds=1).allowed
    time.sleep(1.05)
    assert limiter.hit("203.0.113.7", limit=3, window_seconds=1).remaining == 2


def test_clients_whose_windows_ended_are_forgotten() -> None:
    limiter = MemoryLimiter()
    for n in range(FORGET_AT * 3):
        limiter.hit(f"client-{n}", limit=5, window_seconds=1)
        limiter.flood_wait(f"client-{n}", seconds=1)
    assert limiter.held() == FORGET_AT * 6  # all live: none may be forgotten
    time.sleep(1.05)
    limiter.hit("late", limit=5, window_seconds=60)
    for n in range(FORGET_AT * 2):
        limiter.hit(f"next-{n}", limit=5, window_seconds=60)
    # The 60,000 that ended are gone; the live ones are all kept.
    assert limiter.held() == FORGET_AT * 2 + 1
    assert limiter.hit("late", limit=5, window_seconds=60).remaining == 3
