"""Background machinery: the executor of connector runs and the loops Runtime.start() runs
(the scheduler, the liveness heartbeat)."""
