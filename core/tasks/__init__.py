"""Task registry: each task module builds seeded data from its config section."""

from __future__ import annotations

from core.config import Experiment
from core.tasks import memory
from core.tasks.base import TaskData

BUILDERS = {"memory": memory.build}


def build_task(experiment: Experiment) -> TaskData:
    """The seeded data of an experiment's task."""
    return BUILDERS[experiment.task](experiment.task_config, experiment.seed)
