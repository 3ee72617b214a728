"""The settings framework: dataclass fields whose metadata drives the sliders, the URL validator and the CLI.

The lowest layer of core/: it imports nothing else from core."""
