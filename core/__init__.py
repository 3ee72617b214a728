"""RNN Playground's engine: configs, models, tasks, training, jobs and the run store (no UI)."""
