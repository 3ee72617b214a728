"""Guided lessons: short sequences of steps read from the TOML files in core/guided/lessons/."""
