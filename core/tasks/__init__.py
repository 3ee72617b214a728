"""The lessons: the registry (registry.py), the task record (record.py), the experiment a link
holds (experiment.py), and one package per lesson, each with its config, data, presets and explanation."""
