"""Widgets of the trainee app: they show plain data and post messages; no I/O."""
