"""Rate limits and flood control, kept in process memory or in Redis.

In memory, each worker counts for itself; with ``AKHBAR_REDIS_URL`` all workers share the
counts, so a client meets the same limit whichever worker it reaches.
"""

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple, Protocol

import redis
from fastapi import Request, Response

from app.core.errors import AkhbarError, TooManyRequests, localized_problem


class LimitsUnavailable(AkhbarError):
    """The shared store of the limits (Redis) does not answer: refuse for now rather than
    let every client through unlimited."""

    status = 503

    def __init__(self, detail: str) -> None:
        super().__init__(detail, arabic="تعذّر إحصاء الطلبات الآن: حاول بعد قليل")
        self.retry_after_seconds = 5


class RateState(NamedTuple):
    """Where a client stands in its current window (what the RateLimit-* headers say). A
    tuple: one is made for every limited request, a view beacon's too."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }


class Limiter(Protocol):
    def hit(self, key: str, *, limit: int, window_seconds: int) -> RateState:
        """Count one request against ``key``'s fixed window."""

    def flood_wait(self, key: str, *, seconds: int) -> int:
        """0 and start a quiet period for ``key``; or the seconds left of the current one."""

    def pace(self, key: str, *, limit: int, window_seconds: int, burst: int) -> RateState:
        """Count one request against ``key``, paced: ``burst`` at once, then one every
        ``window_seconds / limit`` (GCRA, a token bucket kept as one timestamp). Unlike a
        fixed window, clients that all start together are not let in together again at
        each window's start."""

    def ping(self) -> None:
        """Return if the limits can be counted now; LimitsUnavailable otherwise."""

    def close(self) -> None: ...


# A memory limiter looks for entries to forget once it holds this many, then once it holds
# twice as many as it kept: each request's share of that work stays constant, however
# many clients there are.
FORGET_AT = 10_000


class MemoryLimiter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # key → (window start, requests in it, when it ends)
        self._windows: dict[str, tuple[float, int, float]] = {}
        self._quiet_until: dict[str, float] = {}
        self._arrivals: dict[str, float] = {}
        self._forget_at = FORGET_AT

    def hit(self, key: str, *, limit: int, window_seconds: int) -> RateState:
        now = time.monotonic()
        with self._lock:
            self._forget_expired(now)
            started, count, _ends = self._windows.get(key, (now, 0, 0.0))
            if now - started >= window_seconds:
                started, count = now, 0
            count += 1
            self._windows[key] = (started, count, started + window_seconds)
        reset = max(1, math.ceil(started + window_seconds - now))
        return RateState(count <= limit, limit, max(0, limit - count), reset)

    def flood_wait(self, key: str, *, seconds: int) -> int:
        now = time.monotonic()
        with self._lock:
            self._forget_expired(now)
            until = self._quiet_until.get(key, 0.0)
            if until > now:
                return max(1, math.ceil(until - now))
            self._quiet_until[key] = now + seconds
        return 0

    def pace(self, key: str, *, limit: int, window_seconds: int, burst: int) -> RateState:
        now = time.monotonic()
        interval, tolerance = _pacing(limit, window_seconds, burst)
        with self._lock:
            self._forget_expired(now)
            arrival = max(self._arrivals.get(key, now), now)
            allowed = now >= arrival - tolerance
            if allowed:
                arrival += interval
                self._arrivals[key] = arrival
        return _paced(allowed, arrival - now, limit, interval, tolerance)

    def held(self) -> int:
        """How many entries it holds (windows, quiet periods and paces)."""
        return len(self._windows) + len(self._quiet_until) + len(self._arrivals)

    def _forget_expired(self, now: float) -> None:
        """Bounded memory: drop the windows, quiet periods and paces that ended."""
        if self.held() < self._forget_at:
            return
        self._quiet_until = {k: v for k, v in self._quiet_until.items() if v > now}
        self._windows = {k: v for k, v in self._windows.items() if v[2] > now}
        self._arrivals = {k: v for k, v in self._arrivals.items() if v > now}
        self._forget_at = max(FORGET_AT, 2 * self.held())

    def ping(self) -> None:
        pass

    def close(self) -> None:
        pass


class RedisLimiter:
    def __init__(self, url: str, *, prefix: str) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix
        self._pace_script = self._redis.register_script(_PACE_LUA)

    def hit(self, key: str, *, limit: int, window_seconds: int) -> RateState:
        name = f"{self._prefix}rate:{key}"
        pipe = self._redis.pipeline()
        pipe.incr(name)
        pipe.expire(name, window_seconds, nx=True)
        pipe.ttl(name)
        with _answering():
            count, _, ttl = pipe.execute()
        reset = int(ttl) if int(ttl) > 0 else window_seconds
        return RateState(int(count) <= limit, limit, max(0, limit - int(count)), reset)

    def flood_wait(self, key: str, *, seconds: int) -> int:
        name = f"{self._prefix}flood:{key}"
        with _answering():
            if self._redis.set(name, 1, ex=seconds, nx=True):
                return 0
            ttl = int(self._redis.ttl(name))
        return ttl if ttl > 0 else 1

    def pace(self, key: str, *, limit: int, window_seconds: int, burst: int) -> RateState:
        interval, tolerance = _pacing(limit, window_seconds, burst)
        with _answering():
            # Read, decide and write in one step on the server, by its clock.
            allowed, backlog = self._pace_script(
                keys=[f"{self._prefix}pace:{key}"], args=[repr(interval), repr(tolerance)]
            )
        return _paced(bool(allowed), float(backlog), limit, interval, tolerance)

    def ping(self) -> None:
        with _answering():
            self._redis.ping()

    def close(self) -> None:
        self._redis.close()


# GCRA on the Redis server: the key holds the theoretical arrival time of the next request;
# answers whether this one is let in, and how far that time now lies ahead.
_PACE_LUA = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local interval, tolerance = tonumber(ARGV[1]), tonumber(ARGV[2])
local arrival = math.max(tonumber(redis.call('GET', KEYS[1]) or now), now)
if now < arrival - tolerance then
  return {0, tostring(arrival - now)}
end
arrival = arrival + interval
redis.call('SET', KEYS[1], tostring(arrival), 'PX', math.ceil((arrival - now) * 1000) + 1)
return {1, tostring(arrival - now)}
"""


def _pacing(limit: int, window_seconds: int, burst: int) -> tuple[float, float]:
    """GCRA's emission interval, and how far ahead of now the next arrival may be."""
    interval = window_seconds / limit
    return interval, interval * (max(1, burst) - 1)


def _paced(
    allowed: bool, backlog: float, limit: int, interval: float, tolerance: float
) -> RateState:
    """Where a paced client stands, ``backlog`` seconds from an empty bucket: let in, and
    how many more may come at once; or not, and in how many seconds one may."""
    if not allowed:
        return RateState(False, limit, 0, max(1, math.ceil(backlog - tolerance)))
    remaining = max(0, int((tolerance + interval - backlog) // interval))
    return RateState(True, limit, remaining, max(1, math.ceil(backlog)))


@contextmanager
def _answering() -> Iterator[None]:
    try:
        yield
    except redis.RedisError:
        raise LimitsUnavailable("the rate-limit store (Redis) is unreachable") from None


def create_limiter(redis_url: str | None, *, prefix: str) -> Limiter:
    return RedisLimiter(redis_url, prefix=prefix) if redis_url else MemoryLimiter()


def within_rate(
    limiter: Limiter,
    key: str,
    *,
    limit: int,
    window_seconds: int,
    english: str,
    arabic: str,
    burst: int | None = None,
) -> RateState:
    """Count one request against ``key`` (in a fixed window, or paced when a ``burst`` is
    given); RateLimited (429 with ``Retry-After`` and the RateLimit headers) when it
    is over: "at most {limit} {english} per {window} s"."""
    rate = (
        limiter.hit(key, limit=limit, window_seconds=window_seconds)
        if burst is None
        else limiter.pace(key, limit=limit, window_seconds=window_seconds, burst=burst)
    )
    if not rate.allowed:
        raise RateLimited(
            f"at most {limit} {english} per {window_seconds} s",
            rate=rate,
            retry_after_seconds=rate.reset_seconds,
            arabic=f"لا يُقبل أكثر من {limit} {arabic} كل {window_seconds} ثانية",
        )
    return rate


class RateLimited(TooManyRequests):
    """Over a rate limit; ``rate`` says where the client stands (the edge writes it in
    the RateLimit-* headers, ``rate_limited``)."""

    def __init__(
        self, detail: str, *, rate: RateState, retry_after_seconds: int, arabic: str | None = None
    ) -> None:
        super().__init__(detail, retry_after_seconds=retry_after_seconds, arabic=arabic)
        self.rate = rate


async def rate_limited(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RateLimited)
    headers = {**exc.rate.headers(), "Retry-After": str(exc.retry_after_seconds)}
    return localized_problem(request, exc.status, exc.detail, exc.arabic, headers=headers)
