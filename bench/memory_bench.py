"""Benchmark of the memory task through the job runner: time to accuracy, overhead and memory.

Measures, at the memory task's default settings, medians over --repeats:
  1. time to 95% validation accuracy per cell (RNN, GRU, LSTM trained together through the job
     runner): the history's wall_seconds at the first evaluation reaching 0.95. wall_seconds is
     the trainer's own clock, which counts optimizer steps only (not evaluation or probes);
  2. LSTM training throughput of the job runner against a bare PyTorch loop on the same model,
     data, batch size, optimizer and clipping (no probes, evaluation or history), both timed end
     to end over the same steps (data and model building included, store off), repeats
     interleaved so both share the machine's noise; the runner once at the default
     evaluation/probe intervals and once at their maximum, so each source of overhead shows;
  3. peak resident memory of the process, and the resident memory while 3 jobs train at once
     through one runner (VmRSS sampled from /proc/self/status).

Run from the repository root:  .venv/bin/python bench/memory_bench.py [--repeats 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import shlex
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from core.engine.jobs import JobRunner  # noqa: E402
from core.nn.cells import CELL_LABELS  # noqa: E402
from core.nn.models import build_model  # noqa: E402
from core.nn.probes import loss_and_correct  # noqa: E402
from core.tasks import experiment as config
from core.tasks.registry import build_task  # noqa: E402

TARGET = 0.95
SPEED_STEPS = 300
MEMORY_JOBS = 3
MEMORY_STEPS = 200


def experiment(**changes) -> config.Experiment:
    return config.replace(config.from_params({})[0], **changes)


def run_job(runner: JobRunner, chosen: config.Experiment):
    """Histories of one job, and its wall time from submit to done."""
    started = time.perf_counter()
    job = runner.submit(chosen)
    job.wait()
    seconds = time.perf_counter() - started
    if job.status not in ("finished", "diverged"):
        raise RuntimeError(f"benchmark job ended {job.status}: {job.message}")
    return job.snapshot().histories, seconds


def time_to_target(history) -> tuple[int, float] | None:
    """(step, training seconds) at the first evaluation reaching the target, or None."""
    for step, metric in zip(history.eval_steps, history.val_metric):
        if metric >= TARGET:
            return step, history.wall_seconds[step - 1]
    return None


def bench_time_to_accuracy(runner: JobRunner, repeats: int) -> None:
    chosen = experiment(cells=["rnn", "gru", "lstm"])
    reached: dict[str, list[tuple[int, float]]] = {cell: [] for cell in chosen.model.cells}
    for _ in range(repeats):
        histories, _ = run_job(runner, chosen)
        for cell, history in histories.items():
            hit = time_to_target(history)
            if hit:
                reached[cell].append(hit)
    print(f"\n1. Time to {TARGET:.0%} validation accuracy (distance {chosen.task_config.distance},"
          f" {chosen.train.steps} steps, medians of {repeats})")
    print(f"   {'cell':<6} {'step':>6} {'train s':>9}")
    for cell, hits in reached.items():
        label = CELL_LABELS[cell]
        if len(hits) < repeats:
            print(f"   {label:<6} not reached in {chosen.train.steps} steps"
                  + (f" ({len(hits)} of {repeats} repeats did)" if hits else ""))
            continue
        print(f"   {label:<6} {statistics.median(s for s, _ in hits):>6.0f}"
              f" {statistics.median(t for _, t in hits):>9.2f}")


def bare_loop(chosen: config.Experiment) -> float:
    """Seconds for SPEED_STEPS plain training steps of the first cell, data building included."""
    started = time.perf_counter()
    data = build_task(chosen)
    settings = chosen.train
    model = build_model(chosen.model.cells[0], data.input_size, data.num_classes, chosen.model,
                        chosen.seed, per_step=data.per_step, vocab_size=data.vocab_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
    generator = torch.Generator().manual_seed(chosen.seed + 7919)
    max_norm = settings.clip if settings.clip > 0 else math.inf
    model.train()
    for _ in range(SPEED_STEPS):
        index = torch.randint(0, data.train_targets.shape[0], (settings.batch_size,), generator=generator)
        loss, _, _ = loss_and_correct(model(data.train_inputs[index]), data.train_targets[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()
    return time.perf_counter() - started


def bench_overhead(runner: JobRunner, repeats: int) -> None:
    default = experiment(cells=["lstm"], steps=str(SPEED_STEPS))
    high = {name: str(int(spec.metadata["high"])) for name, (_, spec) in config.parameter_fields().items()
            if name in ("eval_every", "probe_every")}
    quiet = experiment(cells=["lstm"], steps=str(SPEED_STEPS), **high)
    times: dict[str, list[float]] = {"bare": [], "runner": [], "runner, max intervals": []}
    for _ in range(repeats):
        times["bare"].append(bare_loop(default))
        times["runner"].append(run_job(runner, default)[1])
        times["runner, max intervals"].append(run_job(runner, quiet)[1])
    bare_rate = SPEED_STEPS / statistics.median(times["bare"])
    print(f"\n2. LSTM throughput, {SPEED_STEPS} steps end to end, medians of {repeats}"
          f" (eval/probe every {default.train.eval_every}/{default.train.probe_every} by default,"
          f" max {high['eval_every']}/{high['probe_every']})")
    print(f"   {'loop':<22} {'steps/s':>8} {'runner/bare':>12}")
    for name, seconds in times.items():
        rate = SPEED_STEPS / statistics.median(seconds)
        print(f"   {name:<22} {rate:>8.1f} {rate / bare_rate:>12.2f}")


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def bench_memory() -> None:
    before = rss_mib()
    samples: list[float] = []
    running = threading.Event()
    running.set()

    def sample() -> None:
        while running.is_set():
            samples.append(rss_mib())
            time.sleep(0.05)  # a sampler, not the runner: polling is its job

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    runner = JobRunner(store=None, max_concurrent=MEMORY_JOBS)
    jobs = [runner.submit(experiment(seed=str(seed), steps=str(MEMORY_STEPS)))
            for seed in range(MEMORY_JOBS)]
    started = time.perf_counter()
    for job in jobs:
        job.wait()
    seconds = time.perf_counter() - started
    running.clear()
    sampler.join()
    runner.shutdown()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"\n3. Memory ({MEMORY_JOBS} concurrent default jobs of {MEMORY_STEPS} steps, 2 cells each,"
          f" took {seconds:.1f} s)")
    print(f"   RSS before the concurrent jobs   {before:8.1f} MiB")
    print(f"   RSS peak during them (sampled)   {max(samples, default=before):8.1f} MiB")
    print(f"   peak RSS of the process overall  {peak:8.1f} MiB  (ru_maxrss)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads; >1 thrashes when cores are shared (0 keeps torch's)")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    print("$ " + shlex.join([sys.executable, *sys.argv]))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} intra-op thread(s),"
          f" {os.cpu_count()} CPUs, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    started = time.perf_counter()
    runner = JobRunner(store=None, max_concurrent=1, max_steps=None, max_seconds=None)
    try:
        bench_time_to_accuracy(runner, args.repeats)
        bench_overhead(runner, args.repeats)
    finally:
        runner.shutdown()
    bench_memory()
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
