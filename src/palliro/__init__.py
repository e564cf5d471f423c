"""Palliro: symptom follow-up and outcomes research after palliative radiotherapy."""

__version__ = "0.1.0"
