"""The handwriting lesson: its config, data, presets, explanation and numbers version, in one package."""
