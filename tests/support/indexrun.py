"""``python -m index`` as its own process with the fake embedder, for the command-line tests:

    python tests/support/indexrun.py build --corpus DIR --data DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from support.fakes import FakeEmbedder  # noqa: E402

from index.__main__ import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], FakeEmbedder()))
