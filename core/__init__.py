"""Shared building blocks with no models: the one HTML sanitiser lives here."""
