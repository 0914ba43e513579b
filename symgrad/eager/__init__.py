"""PyTorch-style eager tensors that record the DAG."""
