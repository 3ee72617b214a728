"""Imported once by the fork server that worker processes are forked from: torch, set up and warm.

Importing this module is the point: multiprocessing's fork server imports the modules named in
its preload list before it forks any worker, so every worker starts with torch imported,
configured and past its lazy first-step set-up, sharing those pages instead of copying them.
"""

from core.engine.worker_process import prepare_process

prepare_process()
