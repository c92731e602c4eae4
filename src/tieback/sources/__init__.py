"""Sources: where work items come from (export files, Jira, GitHub)."""
