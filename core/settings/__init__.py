"""Settings: the settings framework (dataclass fields whose metadata drives the sliders, the URL
validator and the CLI) and what the playground reads from its environment (environment.py).

The lowest layer of core/: it imports nothing else from core."""
