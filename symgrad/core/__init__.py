"""The DAG's foundation: errors, shapes, the operation record, the node, the topological walk."""
