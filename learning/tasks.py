"""Background work for learning: the uptake rollups' fill (Celery beat, every minute)."""

from __future__ import annotations

import logging

from celery import shared_task

from . import rollups

logger = logging.getLogger(__name__)


@shared_task
def fill_uptake_rollups() -> int:
    """Bring the uptake rollups up to date (idempotent; resumes a stopped fill); return the practices refilled."""
    try:
        return rollups.fill_uptake_rollups().practices_refilled
    except rollups.FillBusy as busy:
        # Readers take whatever is newer than the watermarks from the raw events, so waiting a
        # minute changes no figure.
        logger.info("Uptake rollups not filled this time: %s", busy)
        return 0
