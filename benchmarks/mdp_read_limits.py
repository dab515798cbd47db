"""Time and peak memory of the MDP reader at its resource limits (README, "MDP files").

Each case is a whole ``rlcli mdp check FILE`` process, timed with its peak memory (max
RSS, from GNU time): the largest YAML file accepted and one just over the limit, the
largest exact numbers accepted, and inputs that once hung (a huge exponent, /dev/zero).
The bare interpreter start (``python -c pass`` with the same imports as the CLI) is
measured in the same run, as the floor every case stands on.

Run:  python benchmarks/mdp_read_limits.py [--workdir /tmp]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from mdp_generate import generate  # noqa: E402

from rlcli.mdp.read.expr import MAX_BITS  # noqa: E402
from rlcli.mdp.read.source import MAX_YAML_CHARS  # noqa: E402


def measure(args: list[str]) -> tuple[float, float, int]:
    """(seconds, peak MB, exit code) of a process, from GNU time."""
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%e %M", *args], capture_output=True, text=True, timeout=600
    )
    seconds, kb = proc.stderr.split()[-2:]
    return float(seconds), int(kb) / 1024, proc.returncode


def yaml_of_size(target: int, workdir: Path, name: str) -> Path:
    """A random MDP in YAML (outcome lists) of just under ``target`` characters."""
    n = 100
    while True:
        text = yaml.safe_dump(generate(n, 4, 10, 0.9, seed=0), sort_keys=False)
        if len(text) > target:
            break
        best, n = text, int(n * 1.1) + 1
    path = workdir / name
    path.write_text(best)
    return path


def largest_exact(workdir: Path) -> Path:
    """1,000 outcomes whose reward has a numerator and a denominator of MAX_BITS bits."""
    big = f"((2**{MAX_BITS - 1} - 1)*2 + 1)/(2**{MAX_BITS - 1} + 1)"
    lines = ["gamma: 9/10", "parameters:", f"  big: {big}", "  a0: (2**1000+1)/2**1000"]
    lines += ["  a1: a0*a0", "  a2: a1*a1", "transitions:"]  # a2: 4,001-bit numerator
    for s in range(100):
        lines.append(f"  s{s}:")
        for a in range(10):
            lines.append(f"    a{a}: {{next: s{(s + a) % 100}, r: {'big' if a % 2 else 'a2'}}}")
    path = workdir / "exact-limit.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default=tempfile.gettempdir())
    workdir = Path(parser.parse_args().workdir)
    check = [sys.executable, "-m", "rlcli", "mdp", "check"]
    huge = workdir / "huge-exponent.yaml"
    huge.write_text("gamma: 1\nstates: [a]\ntransitions:\n  a: {go: {next: a, r: '1e999999999'}}\n")
    cases = [
        ("interpreter + CLI imports only", [sys.executable, "-c", "import rlcli.cli.app"]),
        (
            f"largest YAML accepted (just under {MAX_YAML_CHARS / 1e6:.0f} MB)",
            [*check, str(yaml_of_size(MAX_YAML_CHARS, workdir, "yaml-limit.yaml"))],
        ),
        (
            "YAML just over the limit (refused)",
            [*check, str(yaml_of_size(int(MAX_YAML_CHARS * 1.1), workdir, "yaml-over.yaml"))],
        ),
        (
            f"largest exact numbers ({MAX_BITS}-bit numerator and denominator, 1,000 outcomes)",
            [*check, str(largest_exact(workdir))],
        ),
        ("r: '1e999999999' (refused)", [*check, str(huge)]),
        ("/dev/zero (refused)", [*check, "/dev/zero"]),
    ]
    print("| input | exit code | time (s) | peak memory (MB) |")
    print("|---|---|---|---|")
    for label, args in cases:
        seconds, peak, code = measure(args)
        print(f"| {label} | {code} | {seconds:.2f} | {peak:.0f} |", flush=True)


if __name__ == "__main__":
    main()
