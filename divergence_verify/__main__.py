"""``python -m divergence_verify``: the command line (:mod:`divergence_verify.verify.cli`)."""

import sys

from divergence_verify.verify.cli import main

if __name__ == "__main__":
    sys.exit(main())
