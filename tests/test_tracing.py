"""sg.trace: a Python function run on tensors, recorded as an expression."""

from __future__ import annotations



import symgrad as sg
from strategies import close


class TestTrace:
    def test_trace(self):
        def fn(a):
            s = a
            for i in range(3):
                s = s * a if i % 2 == 0 else s + 1
            return s

        t = sg.trace(fn, a=5.0)
        assert isinstance(t, sg.Expr)
        assert list(t.symbols) == ["a"]
        for a in (5.0, 2.0, -1.5):
            assert close(t.eval(a=a), fn(a))
        assert close(sg.diff(t, "a").eval(a=2.0), 3 * 4 + 1)

    def test_trace_with_if_on_tensor(self):
        def fn(a):
            return a * a if a > 0 else -a
        t = sg.trace(fn, a=5.0)
        assert close(t.eval(a=5.0), 25.0)
