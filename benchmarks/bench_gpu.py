"""Value plus full gradient at N points on a CUDA GPU, float64: symgrad against the alternatives.

    python benchmarks/bench_gpu.py [--points 100000000] [--repeats 7]

Columns, ns per point (median of the repeats, each synchronised), for the four cases of
`bench_kernels.py`: symgrad's `backend="cupy"` (one fused ElementwiseKernel), symgrad's numpy
source run on CuPy arrays (one CuPy call per statement), torch eager with autograd, JAX
`jit(vmap(value_and_grad))`, and the memory floor: the bytes each point must move (its
inputs read, its value and gradients written) at the bandwidth of a device-to-device copy.
Points are made on the GPU. Without CuPy or a GPU it says so and exits with status 2.
Results also go to benchmarks/results/gpu.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def no_gpu(reason: str) -> None:
    print(f"bench_gpu.py needs CuPy and a CUDA GPU: {reason}; nothing was measured",
          file=sys.stderr)
    sys.exit(2)


def gpu_or_exit() -> Any:
    """CuPy, when it and a CUDA device are there; otherwise a clear message and exit 2."""
    if importlib.util.find_spec("cupy") is None:
        no_gpu("CuPy is not installed (pip install cupy-cuda12x)")
    import cupy
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # CUDA driver missing or broken: CuPy raises its own types
        no_gpu(f"CuPy found no CUDA device ({error})")
    if count == 0:
        no_gpu("no CUDA device is visible")
    return cupy


def median_ns(function: Callable[[], Any], synchronize: Callable[[], None], repeats: int,
              points: int) -> float:
    function()  # warm up: compile, allocate
    synchronize()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times) / points * 1e9


def copy_bandwidth(cupy: Any) -> float:
    """Bytes per second of a large device-to-device copy (read plus write)."""
    source = cupy.ones(2**28)  # 2 GiB
    target = cupy.empty_like(source)
    seconds = median_ns(lambda: cupy.copyto(target, source), cupy.cuda.Device().synchronize, 5, 1) / 1e9
    return 2 * source.nbytes / seconds


def gpu_data(cupy: Any, case: Any, points: int) -> dict[str, Any]:
    """The case's arguments, made on the GPU: batched ones as CuPy arrays, weights as floats."""
    template = case.data(1)
    rng = cupy.random.default_rng(0)
    data: dict[str, Any] = {}
    for name, value in template.items():
        if np.ndim(value) == 0:
            data[name] = value
        elif name == "y":
            data[name] = (rng.random(points) < 0.5).astype(cupy.float64)
        else:
            data[name] = rng.uniform(-1.0, 1.0, points)
    return data


def torch_column(case: Any, data: dict[str, Any], repeats: int, points: int) -> float | None:
    if importlib.util.find_spec("torch") is None:
        return None
    import bench_kernels as bench
    import torch
    if not torch.cuda.is_available():
        return None
    lib = bench.Library(torch.sin, torch.cos, torch.tanh, torch.log, torch.sigmoid)
    def run() -> Any:
        tensors = {name: torch.as_tensor(value, device="cuda").requires_grad_(name in case.wrt)
                   if not isinstance(value, float) else
                   torch.tensor(value, device="cuda", dtype=torch.float64, requires_grad=name in case.wrt)
                   for name, value in data.items()}
        value = case.build(lib, [tensors[name] for name in case.names])
        return torch.autograd.grad(value.sum(), [tensors[name] for name in case.wrt])
    return median_ns(run, torch.cuda.synchronize, repeats, points)


def jax_column(case: Any, data: dict[str, Any], repeats: int, points: int) -> float | None:
    if importlib.util.find_spec("jax") is None:
        return None
    import bench_kernels as bench
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    if not any(device.platform == "gpu" for device in jax.devices()):
        return None
    lib = bench.Library(jnp.sin, jnp.cos, jnp.tanh, jnp.log, jax.nn.sigmoid)
    wrt = [case.names.index(name) for name in case.wrt]
    def scalar(*values: Any) -> Any:
        return case.build(lib, list(values))
    function = jax.jit(jax.vmap(jax.value_and_grad(scalar, argnums=wrt),
                                in_axes=[None if isinstance(data[name], float) else 0
                                         for name in case.names]))
    arguments = [data[name] if isinstance(data[name], float) else jnp.from_dlpack(data[name])
                 for name in case.names]
    return median_ns(lambda: jax.block_until_ready(function(*arguments)), lambda: None,
                     repeats, points)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10**8)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results" / "gpu.json")
    options = parser.parse_args()
    cupy = gpu_or_exit()
    import bench_kernels as bench

    import symgrad as sg
    synchronize = cupy.cuda.Device().synchronize
    bandwidth = copy_bandwidth(cupy)
    rows = []
    for case in bench.CASES:
        data = gpu_data(cupy, case, options.points)
        expr = case.build(bench.SYMGRAD, [sg.symbols(name) for name in case.names])
        fused = sg.compile(expr, wrt=case.wrt, grad=True, backend="cupy")
        source = sg.compile(expr, wrt=case.wrt, grad=True)
        batched = sum(1 for value in data.values() if not isinstance(value, float))
        floor_bytes = 8 * (batched + 1 + len(case.wrt))
        fused_value = fused(**data)[0]
        source_value = source(**data)[0]
        row = {
            "case": case.name, "points": options.points,
            "cupy_backend": median_ns(lambda: fused(**data), synchronize, options.repeats, options.points),
            "numpy_source_on_cupy": median_ns(lambda: source(**data), synchronize, options.repeats,
                                              options.points),
            "torch_eager": torch_column(case, data, options.repeats, options.points),
            "jax": jax_column(case, data, options.repeats, options.points),
            "floor": floor_bytes / bandwidth * 1e9,
            "max_abs_difference": float(cupy.max(cupy.abs(fused_value - source_value))),
        }
        rows.append(row)
        del data
        cupy.get_default_memory_pool().free_all_blocks()
    print(f"ns per point, N = {options.points}, float64, median of {options.repeats}; "
          f"copy bandwidth {bandwidth / 1e9:.0f} GB/s")
    columns = ["cupy_backend", "numpy_source_on_cupy", "torch_eager", "jax", "floor"]
    print(f"{'case':<20}" + "".join(f"{name[:14]:>16}" for name in columns) + f"{'max diff':>12}")
    for row in rows:
        cells = ["n/a" if row[name] is None else f"{row[name]:.3f}" for name in columns]
        print(f"{row['case']:<20}" + "".join(f"{cell:>16}" for cell in cells)
              + f"{row['max_abs_difference']:>12.1e}")
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps({"bandwidth_bytes_per_s": bandwidth, "rows": rows},
                                         indent=2) + "\n")
    print(f"written to {options.output}")


if __name__ == "__main__":
    main()
