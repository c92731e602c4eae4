"""Run tieback as ``python -m tieback``."""

from tieback.cli import main

raise SystemExit(main())
