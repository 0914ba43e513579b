"""`symgrad serve` on the command line, without its optional dependencies: a clear message."""

from __future__ import annotations

import subprocess
import sys

from symgrad.cli import build_parser


def test_serve_without_starlette_says_how_to_install_it() -> None:
    # sys.modules[name] = None makes `import name` fail, as on a machine without the extra.
    code = ("import sys; sys.modules['starlette'] = None; sys.modules['uvicorn'] = None; "
            "from symgrad.cli import main; sys.exit(main(['serve', '--port', '0']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 2
    assert "symgrad[web]" in done.stderr and "Traceback" not in done.stderr


def test_serve_defaults_to_loopback_port_8000() -> None:
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.open) == ("127.0.0.1", 8000, False)
