"""``python -m rnnrnade_pt``: the same as the ``rnnrnade`` console script."""

import sys

from .cli import main

sys.exit(main())
