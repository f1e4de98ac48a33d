"""`python -m pyneuro ...` is the same as the `pyneuro` command."""

import sys

from pyneuro.cli import main

sys.exit(main())
