"""Rate limits and flood control, kept in process memory or in Redis.

In memory, each worker counts for itself; with ``AKHBAR_REDIS_URL`` all workers share the
counts, so a client meets the same limit whichever worker it reaches.
"""

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Protocol

import redis
from fastapi import Depends, Request

from app.errors import AkhbarError, TooManyRequests


class LimitsUnavailable(AkhbarError):
    """The shared store of the limits (Redis) does not answer: refuse for now rather than
    let every client through unlimited."""

    status = 503

    def __init__(self, detail: str) -> None:
        super().__init__(detail, arabic="تعذّر إحصاء الطلبات الآن: حاول بعد قليل")
        self.headers = {"Retry-After": "5"}


@dataclass(frozen=True)
class RateState:
    """Where a client stands in its current window (what the RateLimit-* headers say)."""

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

    def ping(self) -> None:
        """Return if the limits can be counted now; LimitsUnavailable otherwise."""

    def close(self) -> None: ...


class MemoryLimiter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}
        self._quiet_until: dict[str, float] = {}

    def hit(self, key: str, *, limit: int, window_seconds: int) -> RateState:
        now = time.monotonic()
        with self._lock:
            self._forget_expired(now)
            started, count = self._windows.get(key, (now, 0))
            if now - started >= window_seconds:
                started, count = now, 0
            count += 1
            self._windows[key] = (started, count)
        reset = max(1, math.ceil(started + window_seconds - now))
        return RateState(count <= limit, limit, max(0, limit - count), reset)

    def flood_wait(self, key: str, *, seconds: int) -> int:
        now = time.monotonic()
        with self._lock:
            until = self._quiet_until.get(key, 0.0)
            if until > now:
                return max(1, math.ceil(until - now))
            self._quiet_until[key] = now + seconds
        return 0

    def _forget_expired(self, now: float) -> None:
        # Bounded memory: drop quiet periods that ended (windows are reset on use).
        if len(self._quiet_until) > 10_000:
            self._quiet_until = {k: v for k, v in self._quiet_until.items() if v > now}
        if len(self._windows) > 10_000:
            self._windows = {k: v for k, v in self._windows.items() if now - v[0] < 86_400}

    def ping(self) -> None:
        pass

    def close(self) -> None:
        pass


class RedisLimiter:
    def __init__(self, url: str, *, prefix: str) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix

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

    def ping(self) -> None:
        with _answering():
            self._redis.ping()

    def close(self) -> None:
        self._redis.close()


@contextmanager
def _answering() -> Iterator[None]:
    try:
        yield
    except redis.RedisError:
        raise LimitsUnavailable("the rate-limit store (Redis) is unreachable") from None


def create_limiter(redis_url: str | None, *, prefix: str) -> Limiter:
    return RedisLimiter(redis_url, prefix=prefix) if redis_url else MemoryLimiter()


def within_rate(
    limiter: "Limiter", key: str, *, limit: int, window_seconds: int, english: str, arabic: str
) -> RateState:
    """Count one request against ``key``; TooManyRequests (429 with ``Retry-After`` and
    the RateLimit headers) when it is over: "at most {limit} {english} per {window} s"."""
    rate = limiter.hit(key, limit=limit, window_seconds=window_seconds)
    if not rate.allowed:
        raise TooManyRequests(
            f"at most {limit} {english} per {window_seconds} s",
            retry_after_seconds=rate.reset_seconds,
            headers=rate.headers(),
            arabic=f"لا يُقبل أكثر من {limit} {arabic} كل {window_seconds} ثانية",
        )
    return rate


def _limiter(request: Request) -> "Limiter":
    limiter: Limiter = request.app.state.limiter
    return limiter


LimiterDep = Annotated["Limiter", Depends(_limiter)]
