"""Settings: what the playground reads from its environment (and, in time, the experiment settings)."""
