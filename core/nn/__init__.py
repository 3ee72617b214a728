"""Networks: the cell registry, the encoders, the sequence-to-sequence model, the probes and the problems
that build and score a model. Knows no task by name."""
