"""Batch record printing from the work order and lot screens (issue 15): the backend
protocol (backend.py) and a reusable progress modal (progress.py)."""
