"""Run tieback as ``python -m tieback``."""

from tieback.cli import main

# A worker process (``tieback.connectors.jira.reader``) imports this module again under
# another name: it must not start a second command.
if __name__ == "__main__":
    raise SystemExit(main())
