"""Regenerate the committed Python code of the wire contract, or check it is current.

Run ``python proto/generate.py`` after editing a ``.proto`` file; CI runs it with
``--check``, which fails when the committed code differs from what protoc makes.
"""

from __future__ import annotations

import argparse
import filecmp
import pathlib
import sys
import tempfile

from grpc_tools import protoc

PROTO_ROOT = pathlib.Path(__file__).resolve().parent
PACKAGE_DIR = PROTO_ROOT / "hikari_kura" / "v1"
SERVICE_FILES = {"cache_service.proto"}


def _generate(out_dir: pathlib.Path) -> None:
    """Run protoc over every .proto file of the package into ``out_dir``."""
    include = str(pathlib.Path(protoc.__file__).parent / "_proto")
    for proto in sorted(PACKAGE_DIR.glob("*.proto")):
        args = ["protoc", f"-I{PROTO_ROOT}", f"-I{include}", f"--python_out={out_dir}", f"--pyi_out={out_dir}"]
        if proto.name in SERVICE_FILES:
            args.append(f"--grpc_python_out={out_dir}")
        if protoc.main([*args, str(proto.relative_to(PROTO_ROOT))]) != 0:
            raise SystemExit(f"protoc failed on {proto.name}")


def _generated_names(directory: pathlib.Path) -> set[str]:
    return {path.name for path in directory.glob("*_pb2*.py*")}


def main() -> int:
    """Regenerate into proto/hikari_kura/v1, or with --check compare against it."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the committed code is stale")
    check = parser.parse_args().check
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = pathlib.Path(tmp)
        _generate(out_dir)
        fresh_dir = out_dir / "hikari_kura" / "v1"
        fresh = _generated_names(fresh_dir)
        committed = _generated_names(PACKAGE_DIR)
        if check:
            stale = sorted(fresh ^ committed)
            changed = (n for n in fresh & committed if not filecmp.cmp(fresh_dir / n, PACKAGE_DIR / n, shallow=False))
            stale += sorted(changed)
            if stale:
                sys.stderr.write("\n  ".join(["generated code is stale, run: python proto/generate.py", *stale]) + "\n")
                return 1
            return 0
        for name in committed - fresh:
            (PACKAGE_DIR / name).unlink()
        for name in fresh:
            (PACKAGE_DIR / name).write_bytes((fresh_dir / name).read_bytes())
    return 0


if __name__ == "__main__":
    sys.exit(main())
