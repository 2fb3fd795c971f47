"""What a commit of an execution writes into Delta commit metadata and file names, so that
recovery can tell, from the table alone, whether that commit landed and which files it left.
"""

from __future__ import annotations

COMMIT_TAG = "headwater.execution"  # the execution whose rows this commit holds
QUARANTINE_TAG = "headwater.quarantine_of"  # on a quarantine commit: the dataset checked
REVERT_TAG = "headwater.reverts"  # on a quarantine revert: the execution whose rows it removed


def orphan_prefix(execution_id: int) -> str:
    """Data files of an execution are named so a failed commit's leftovers can be found."""
    return f"part-e{execution_id}-"
