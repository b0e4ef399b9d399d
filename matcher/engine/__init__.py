"""The execution engine: subproblems as tasks on a Dask distributed cluster.

`Engine.local(...)` starts a `LocalCluster` of worker processes (what `matcher serve` does by
default); `Engine.connect(address)` joins an existing cluster (`matcher solve --scheduler`,
the `scheduler_address` setting). `Engine.executor()` is the solver's `SolveParams.executor`:
each subproblem becomes one task, its plain data goes to a worker, its model is built there.
"""

from matcher.engine.cluster import Engine
from matcher.engine.executor import DaskExecutor, EngineError

__all__ = ["DaskExecutor", "Engine", "EngineError"]
