#!/usr/bin/env python3
"""Build the project's real test model, SmolLM2-135M-Instruct (see tests/smollm2.py, where the builder lives).

    python scripts/build_smollm2.py [--out DIR] [--cache DIR] [--print-hashes]

The builder sits beside the tests so they import it without editing sys.path; this entry point is the one place
that does, because a script's own folder, not tests/, is what Python puts on the path.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from smollm2 import build, main  # noqa: E402, F401  (needs the path above; scripts/bench_chat.py imports build)

if __name__ == "__main__":
    sys.exit(main())
