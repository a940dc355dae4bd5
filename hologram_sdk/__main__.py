"""``python -m hologram_sdk`` runs the ``hologram`` command."""

import sys

from hologram_sdk.cli import main

sys.exit(main())
