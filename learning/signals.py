"""Signals learning sends for other apps to react to; receivers run inside the sender's transaction."""
from django.dispatch import Signal

# Sent with completion=<ModuleCompletion> right after the completion row is written.
completion_recorded = Signal()
