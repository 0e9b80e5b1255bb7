"""Logging helpers shared by the apps."""

from __future__ import annotations

import logging
import threading
import time

_last_logged: dict[str, float] = {}
_lock = threading.Lock()


def log_at_most_every(
    logger: logging.Logger, key: str, seconds: float, level: int, message: str, *args: object
) -> bool:
    """Log a message unless the same key was logged in this process within the last `seconds`."""
    now = time.monotonic()
    with _lock:
        last = _last_logged.get(key)
        if last is not None and now - last < seconds:
            return False
        _last_logged[key] = now
    logger.log(level, message, *args)
    return True
