#!/usr/bin/env bash
# Run every benchmark scenario once at tiny scale (about a minute with the reference
# virtualenv already made, two more the first time), so the benchmark cannot rot.
# It checks that every scenario runs and returns correct data on both sides; it asserts
# no timing. Exit status is non-zero if any measurement failed.
#
# Usage: bash bench/smoke.sh   (from anywhere; uses the project's .venv unless PYTHON is set)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$python" "$root/bench/run.py" --scale ci --runs 1 --json-out "$out/ci.json"
