"""The research API under /api/v1/: read-only, token-authenticated, throttled, audited (docs/research.md)."""
