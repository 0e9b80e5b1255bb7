"""gunicorn's logger with the project's secret redaction on its access and error logs.

gunicorn writes its own access log (`--access-logfile`), outside Django's LOGGING, with the
request line, the path, the query string and the referrer of every request: a certificate code or
an invitation token in a URL would reach the log file whole. This logger class puts the same
RedactSecretsFilter that Django's handlers use (core/log_redaction.py) on gunicorn's two loggers,
so every line is redacted before it is written, whatever `--access-logformat` is chosen.

Used with `gunicorn --logger-class core.gunicorn_logging.RedactingLogger ...` (README, .ci/production).
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from core.log_redaction import RedactSecretsFilter


class RedactingLogger(Logger):
    """gunicorn's Logger whose access and error records pass through RedactSecretsFilter."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.access_log, self.error_log):
            if not any(isinstance(f, RedactSecretsFilter) for f in log.filters):
                log.addFilter(RedactSecretsFilter())
