"""Signals accounts sends, for apps above it to act on without accounts importing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent with `request` and `user` when accounts marks a user's address verified itself (a
# password-reset link reached it), as allauth's `email_confirmed` is sent for a confirmation link.
address_verified_by_password_reset = Signal()
