"""Screens of the trainee app: controllers that call the engine and fill widgets."""
