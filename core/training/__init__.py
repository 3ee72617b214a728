"""Training: the trainer loop, its history and the time and memory budget of a run.

Reads tasks through the task registry; never names one."""
