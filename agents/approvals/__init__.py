"""Supervisor approvals in one place: the wait-and-settle graph and its session functions.

Why a thread of its own: LangGraph discards a thread's pending interrupt when new input
(not a `Command(resume=...)`) arrives on it. If the call's own thread paused for approval,
the next utterance would either be held back until a supervisor acted (losing live
assistance) or silently drop the wait. So the call graph records the pending dispute and
moves on, and each approval waits in the approval graph (`build_approval_graph`, its own
input state, compiled with the call graph's checkpointer) on thread
`"{call_id}/approval/{approval_id}"`, which only ever receives resumes. A resume is a
hint to look again: `settle_approval` re-reads the ticket from the store and credits only
if it is approved and `consume()` succeeds; the ledger key (per customer and invoice
line) makes a retried settle a no-op. `settle_call` then writes the decision into the
call's thread and restates its views (agents.approvals.views).

Why the decision travels on `calls.transcripts.v1` (an ApprovalDecided keyed by call_id)
and not on a control topic of its own: it must stay ordered with the call's own events on
the call's partition, so the worker that owns the call's thread (and holds its unflushed
state) is the one that settles it, after the turns that came before it; DESIGN.md's
table lists call control on that topic.

Import order: the call graph (agents.graph) imports `state` and `settlement` from here,
and this unit imports agents.graph submodules. So `state` and `settlement` import nothing
of agents.graph at run time, and `views` imports the call graph's type only for checking.
"""

from agents.approvals.graph import ApprovalGraph, build_approval_graph
from agents.approvals.session import open_approval, resume_approval
from agents.approvals.settlement import SETTLED_STATUSES, settled_dispute, settled_explanation
from agents.approvals.state import ApprovalState, ApprovalWait, new_wait
from agents.approvals.views import SettledViews, settle_call
from agents.threads import approval_thread_id

__all__ = [
    "SETTLED_STATUSES",
    "ApprovalGraph",
    "ApprovalState",
    "ApprovalWait",
    "SettledViews",
    "approval_thread_id",
    "build_approval_graph",
    "new_wait",
    "open_approval",
    "resume_approval",
    "settle_call",
    "settled_dispute",
    "settled_explanation",
]
