"""Getting data in by executions: accounts, streams, uploads, connector runs, the scheduler and its
retries, commits of executions, restores of older versions, recovery."""
