"""``python -m trio_openai``: see trio_openai._cli."""

import sys

from ._cli import main

sys.exit(main())
