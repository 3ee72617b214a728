"""Calibration of the sentiment data: does each source separate the cells the way the page claims?

Trains each cell (and a bag-of-words baseline: the mean of the token embeddings into a linear
layer, which cannot see word order) on one sentiment setting with a plain Adam loop, and prints
validation accuracy overall and per group (plain, negation, contrast, long, distance buckets),
the data sizes and the seconds each model took (evaluation included, probes not). Models
trained on the reviews are also scored on OTHER_SITES: short movie-review sentences written for
this check in the styles of other sites (user reviews, social posts), never seen in training.

Run from the repository root, for example:
  .venv/bin/python bench/sentiment_data_check.py --source puzzles --distance 8
  .venv/bin/python bench/sentiment_data_check.py --source puzzles --opinions 4 --cells rnn,lstm,bilstm,bow
  .venv/bin/python bench/sentiment_data_check.py --source reviews --train-size 12000 --steps 1000
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from core.nn.cells import ModelConfig  # noqa: E402
from core.nn.models import build_model  # noqa: E402
from core.tasks.sentiment import data as sentiment  # noqa: E402
from core.tasks.sentiment.config import SentimentTaskConfig  # noqa: E402

# (text, label): written for this check, in styles the Rotten Tomatoes critics' snippets do not use.
OTHER_SITES = (
    ("I went in with low expectations and came out grinning; easily the best thing I've seen this year.", 1),
    ("Gorgeous to look at, and the performances carry real emotional weight.", 1),
    ("A smart, funny script that never talks down to its audience.", 1),
    ("10/10 would watch again, the soundtrack alone is worth the ticket.", 1),
    ("It's not perfect, but I had a great time.", 1),
    ("The lead gives a quietly devastating performance that stayed with me for days.", 1),
    ("Tense, tightly edited and surprisingly moving.", 1),
    ("My kids loved it and honestly so did I.", 1),
    ("Not a single boring minute in over two hours.", 1),
    ("Some slow patches early on, but the final act is terrific.", 1),
    ("A warm, generous comedy with a big heart.", 1),
    ("Beautifully shot and wonderfully acted.", 1),
    ("I didn't expect to cry at an animated film, but here we are.", 1),
    ("Clever, stylish and a lot of fun.", 1),
    ("One of those rare sequels that improves on the original.", 1),
    ("Two hours of my life I will never get back.", 0),
    ("The jokes fall flat and the plot makes no sense.", 0),
    ("Great cast, wasted on a lazy script.", 0),
    ("I wanted to like it, but it's a dull, joyless slog.", 0),
    ("The CGI looks cheap and the dialogue is painful.", 0),
    ("Halfway through I checked my phone and never looked back up.", 0),
    ("Not funny, not scary, not anything really.", 0),
    ("A bloated mess that confuses noise for excitement.", 0),
    ("The trailer was better than the movie.", 0),
    ("Predictable from the first scene to the last.", 0),
    ("The acting is wooden and the pacing drags badly.", 0),
    ("Save your money and wait for it to hit streaming, or better yet, skip it.", 0),
    ("It looks nice, but there's nothing underneath.", 0),
    ("An embarrassing misfire from a usually reliable director.", 0),
    ("I fell asleep twice.", 0),
)


class BagOfWords(nn.Module):
    """Mean of the embeddings of a text's tokens into a linear layer: blind to word order."""

    def __init__(self, vocab_size: int, embedding_size: int, num_classes: int, seed: int):
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.embedding = nn.Embedding(vocab_size, embedding_size, padding_idx=0)
        self.head = nn.Linear(embedding_size, num_classes)
        bound = 1.0 / math.sqrt(embedding_size)
        with torch.no_grad():
            self.embedding.weight.normal_(0.0, 1.0, generator=generator)
            self.embedding.weight[0].zero_()
            self.head.weight.uniform_(-bound, bound, generator=generator)
            self.head.bias.uniform_(-bound, bound, generator=generator)

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        total = self.embedding(inputs).sum(dim=1)  # padding embeds to zeros
        return self.head(total / lengths.unsqueeze(-1).to(total.dtype))


def make_model(cell: str, fields: dict, hidden: int, seed: int) -> nn.Module:
    if cell == "bow":
        return BagOfWords(fields["vocab_size"], fields["input_size"], fields["num_classes"], seed)
    return build_model(cell, fields["input_size"], fields["num_classes"], ModelConfig(hidden_size=hidden), seed,
                       vocab_size=fields["vocab_size"])


@torch.no_grad()
def evaluate(model: nn.Module, fields: dict) -> tuple[float, dict[str, float]]:
    model.eval()
    logits = []
    for start in range(0, fields["val_targets"].shape[0], 512):
        stop = start + 512
        logits.append(model(fields["val_inputs"][start:stop], fields["val_lengths"][start:stop]))
    model.train()
    correct = torch.cat(logits).argmax(-1) == fields["val_targets"]
    groups = {name: float(correct[mask].float().mean()) for name, mask in fields["val_groups"].items() if mask.any()}
    return float(correct.float().mean()), groups


def train(cell: str, fields: dict, args: argparse.Namespace) -> tuple[list[tuple[int, float]], dict, float]:
    model = make_model(cell, fields, args.hidden, args.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    generator = torch.Generator().manual_seed(args.seed + 7919)
    size = fields["train_targets"].shape[0]
    curve = []
    started = time.perf_counter()
    for step in range(1, args.steps + 1):
        index = torch.randint(0, size, (args.batch,), generator=generator)
        lengths = fields["train_lengths"][index]
        width = int(lengths.max())  # the trainer pads to the split's width; trimming only saves time
        logits = model(fields["train_inputs"][index, :width], lengths)
        loss = nn.functional.cross_entropy(logits, fields["train_targets"][index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()
        if step % args.eval_every == 0 or step == args.steps:
            accuracy, groups = evaluate(model, fields)
            curve.append((step, accuracy))
    seconds = time.perf_counter() - started
    if args.source == "reviews":
        inputs, lengths = fields["codec"].encode_batch([text for text, _ in OTHER_SITES])
        model.eval()
        with torch.no_grad():
            guesses = model(inputs, lengths).argmax(-1)
        expected = torch.tensor([label for _, label in OTHER_SITES])
        groups["other sites"] = float((guesses == expected).float().mean())
    return curve, groups, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default="puzzles", choices=("puzzles", "reviews"))
    parser.add_argument("--distance", type=int, default=8)
    parser.add_argument("--opinions", type=int, default=0)
    parser.add_argument("--vocab-size", type=int, default=2000)
    parser.add_argument("--tokenizer", default="unigram", choices=("unigram", "bpe"))
    parser.add_argument("--embedding-size", type=int, default=32)
    parser.add_argument("--train-size", type=int, default=4000)
    parser.add_argument("--cells", default="rnn,lstm,bilstm,bow")
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.003)
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--clip", type=float, default=1.0)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    settings = SentimentTaskConfig(args.source, args.distance, args.opinions, args.vocab_size, args.tokenizer,
                        args.embedding_size, args.train_size)
    started = time.perf_counter()
    fields = sentiment.task_fields(settings, args.seed)
    built = time.perf_counter() - started
    info = fields["info"]
    lengths = fields["train_lengths"].float()
    print(f"{settings}\nbuild {built:.2f}s  train {info['train_size']:,}  val {info['val_size']:,}  "
          f"vocab {info['vocab_size']:,}  tokens mean {lengths.mean():.1f} max {int(lengths.max())}")
    for notice in info["notices"]:
        print("  notice:", notice)
    if "majority_accuracy" in info:
        print(f"  majority class accuracy {info['majority_accuracy']:.3f}")
    total = 0.0
    for cell in args.cells.split(","):
        curve, groups, seconds = train(cell, fields, args)
        total += seconds
        path = " ".join(f"{step}:{accuracy:.2f}" for step, accuracy in curve)
        print(f"{cell:>7} {curve[-1][1]:.3f} in {seconds:5.1f}s | {path}")
        print("        " + "  ".join(f"{name} {value:.2f}" for name, value in groups.items()))
    print(f"total {total:.1f}s for {args.steps} steps of batch {args.batch} per model "
          f"({math.ceil(total / max(len(args.cells.split(',')), 1))}s each on average)")


if __name__ == "__main__":
    main()
