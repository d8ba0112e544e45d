"""``python -m hikari_kura.server``: the same as ``kura``."""

import sys

from hikari_kura.server import cli

sys.exit(cli.main())
