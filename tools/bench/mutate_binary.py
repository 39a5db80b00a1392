#!/usr/bin/env python3
"""mutate_binary.py IN OUT [--seed N] - a "security update" of a big binary.

Writes OUT: IN with what a rebuilt library shows next to the old one, at
deterministic pseudo-random places: a few stretches of code rewritten (a
patched function), a few byte runs inserted (new code, which shifts every
address after it) and, every ~64 KiB, a 4-byte word changed (a relocated
address). Used by bench-delta-bigfile.sh to make big file pairs from a real
binary of the machine.
"""
import argparse
import random


def mutate(data: bytearray, rng: random.Random) -> bytearray:
    n = len(data)
    for _ in range(20):  # patched functions
        at = rng.randrange(n - 8192)
        length = rng.randrange(256, 4096)
        data[at:at + length] = bytes(rng.randrange(256) for _ in range(length))
    for at in range(rng.randrange(65536), n - 4, 65536):  # relocated addresses
        word = int.from_bytes(data[at:at + 4], "little")
        data[at:at + 4] = ((word + 0x40) & 0xFFFFFFFF).to_bytes(4, "little")
    for _ in range(10):  # new code: everything after it moves
        at = rng.randrange(n)
        data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(16, 2048)))
    return data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with open(args.input, "rb") as f:
        data = bytearray(f.read())
    with open(args.output, "wb") as f:
        f.write(mutate(data, random.Random(args.seed)))


if __name__ == "__main__":
    main()
