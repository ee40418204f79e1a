"""Summarize a py-spy raw profile (collapsed stacks) written by the benchmark's --profile.

    python -m tests.bench.profile_summary FILE [--top 40] [--match TEXT]

Prints the share of samples per thread, the functions with the most inclusive time (the
sample is anywhere under them) and the most self time (the sample is in them).
"""

import argparse
import re
from collections import Counter

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def short(frame: str) -> str:
    m = FRAME.match(frame)
    if not m:
        return frame
    path = m.group("file")
    for marker in ("site-packages/", "lib/python3.11/", "/work/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{m.group('func')} ({path})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--match", default=None, help="only stacks containing this text")
    args = parser.parse_args()

    inclusive, own, threads = Counter(), Counter(), Counter()
    total = 0
    with open(args.file) as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack or (args.match and args.match not in stack):
                continue
            n = int(count)
            frames = stack.split(";")
            total += n
            threads[frames[0]] += n
            seen = set()
            for frame in frames[1:]:
                name = short(frame)
                if name not in seen:
                    inclusive[name] += n
                    seen.add(name)
            own[short(frames[-1])] += n
    print(f"{total} samples")
    print("\nby thread:")
    for name, n in threads.most_common(10):
        print(f"  {100 * n / total:5.1f}%  {name}")
    print("\ninclusive:")
    for name, n in inclusive.most_common(args.top):
        print(f"  {100 * n / total:5.1f}%  {name}")
    print("\nself:")
    for name, n in own.most_common(args.top):
        print(f"  {100 * n / total:5.1f}%  {name}")


if __name__ == "__main__":
    main()
