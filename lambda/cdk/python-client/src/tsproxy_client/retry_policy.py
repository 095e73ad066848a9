"""When a call to the Function URL is tried again, and after how long: pure rules, no I/O.

Lambda's throttling (429 with x-amzn-ErrorType: TooManyRequestsException) and 5xx answers without
ts-error-name (the Function URL front end's: tsproxy names every answer it makes) are retried, for
idempotent methods only. tsproxy does not mark a target's own response, so a target's 5xx is retried as
well; an idempotent method makes that safe.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, List, Tuple

# RFC 9110 section 9.2.2: a repeat has the same effect on the server as one request.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    """max_attempts: tries of one call in all (1: never retry). base_delay, max_delay: seconds; the wait
    before try n+1 is uniform in [0, min(max_delay, base_delay * 2**(n-1))] ("full jitter")."""

    max_attempts: int = 3
    base_delay: float = 0.1
    max_delay: float = 20.0

    def __post_init__(self):
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("base_delay and max_delay must not be negative")

    def delay(self, attempt: int, uniform: Callable[[float, float], float] = random.uniform) -> float:
        """Seconds to wait after the failed try number `attempt` (1-based)."""
        return uniform(0.0, min(self.max_delay, self.base_delay * (2 ** (attempt - 1))))


def is_idempotent(method: str) -> bool:
    return method.upper() in IDEMPOTENT_METHODS


def _header(headers: List[Tuple[str, str]], name: str) -> str:
    return ", ".join(v for k, v in headers if k.lower() == name)


def is_retryable_answer(status_code: int, headers: List[Tuple[str, str]]) -> bool:
    """Lambda throttled the call, or the Function URL front end failed before tsproxy answered."""
    if status_code == 429:
        return _header(headers, "x-amzn-errortype").startswith("TooManyRequestsException")
    return 500 <= status_code <= 599 and not _header(headers, "ts-error-name")
