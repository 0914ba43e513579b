"""The web page's JSON API (`symgrad serve`), through Starlette's test client: every endpoint
against independent oracles (SymPy, hand-derived values, `sg.verify` itself for the verdict's
JSON), bad input as 4xx with message, line and column, the size limits and the time limit."""

from __future__ import annotations

import fnmatch
import math
import re
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest
import sympy

import symgrad as sg
from web_support import ROOT, require, served

starlette_testclient = require("starlette.testclient", "pip install 'symgrad[web]'")
require("uvicorn", "pip install 'symgrad[web]'")
require("matplotlib", "pip install 'symgrad[web]'")

from symgrad.web.app import create_app  # noqa: E402  (after the optional imports are checked)
from symgrad.web.fields import WebLimits  # noqa: E402
from symgrad.web.server import bind, is_loopback  # noqa: E402

TestClient = starlette_testclient.TestClient
LIMITS = WebLimits(max_body=4096, max_expression=300, max_order=6, time_limit=30.0, workers=2)
X = sympy.Symbol("x")


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with TestClient(create_app(LIMITS)) as test_client:
        yield test_client


def post(client: Any, kind: str, body: Any) -> tuple[int, dict[str, Any]]:
    response = client.post(f"/api/{kind}", json=body)
    return response.status_code, response.json()


def sympy_of(text: str) -> Any:
    # symgrad prints Python syntax that SymPy reads (API.md 1c); the texts here are the server's.
    return sympy.sympify(text, locals={"x": X})


# -- the endpoints -----------------------------------------------------------------------------------
def test_diff_answers_the_derivative_as_sympy_computes_it(client: Any) -> None:
    status, body = post(client, "diff", {"function": "x^2 sin x", "wrt": "x"})
    assert status == 200
    assert sympy.simplify(sympy_of(body["derivative"]) - sympy.diff(X**2 * sympy.sin(X), X)) == 0
    assert body["wrt"] == "x" and body["order"] == 1
    assert body["latex"] == sg.diff("x^2 sin x", "x").latex()
    assert body["function"]["latex"] == sg.parse("x^2 sin x").latex()


def test_diff_of_higher_order_matches_sympy(client: Any) -> None:
    status, body = post(client, "diff", {"function": "x^5 - 3x^2 + exp(2x)", "order": 3})
    assert status == 200 and body["order"] == 3
    expected = sympy.diff(X**5 - 3 * X**2 + sympy.exp(2 * X), X, 3)
    assert sympy.simplify(sympy_of(body["derivative"]) - expected) == 0


def test_parse_answers_text_latex_and_variables_of_both_inputs(client: Any) -> None:
    status, body = post(client, "parse", {"function": "a x^2 + sin y", "answer": "f'(x) = 2a x"})
    assert status == 200
    assert body["function"]["symbols"] == ["a", "x", "y"]
    assert body["function"]["text"] == str(sg.parse("a x^2 + sin y"))
    assert body["answer"]["text"] == str(sg.parse("2a x"))  # the left-hand side is dropped
    assert body["answer"]["latex"] == sg.parse("2a x").latex()


def test_verify_answers_the_verdicts_to_dict_for_a_wrong_answer(client: Any) -> None:
    request = {"function": "sin(x^2)", "answer": "cos(x^2)", "wrt": "x"}
    status, body = post(client, "verify", request)
    assert status == 200
    assert body == sg.verify("sin(x^2)", "cos(x^2)", "x").to_dict()
    assert body["status"] == "wrong" and body["ok"] is False
    point = body["counterexample"]
    x = point["x"]
    # At the counterexample the true derivative 2x cos(x^2) and the claim differ (by hand).
    assert not math.isclose(2 * x * math.cos(x * x), math.cos(x * x), rel_tol=1e-6, abs_tol=1e-9)


def test_verify_answers_correct_for_an_equivalent_form(client: Any) -> None:
    status, body = post(client, "verify", {"function": "sin(x^2)", "answer": "2x cos(x^2)"})
    assert status == 200
    assert body["status"] == "correct" and body["ok"] is True and body["counterexample"] is None


def test_verify_checks_second_derivatives_with_order(client: Any) -> None:
    status, right = post(client, "verify", {"function": "x^4", "answer": "12x^2", "order": 2})
    assert status == 200 and right["status"] == "correct"
    status, wrong = post(client, "verify", {"function": "x^4", "answer": "4x^3", "order": 2})
    assert status == 200 and wrong["status"] == "wrong"


def test_steps_end_at_the_derivative(client: Any) -> None:
    status, body = post(client, "steps", {"function": "x sin(x^2)", "wrt": "x"})
    assert status == 200
    expected = sympy.diff(X * sympy.sin(X**2), X)
    assert sympy.simplify(sympy_of(body["result"]["text"]) - expected) == 0
    rules = [step["rule"] for step in body["steps"]]
    assert rules[0] == "product rule" and any("chain rule" in rule for rule in rules)
    assert body["count"] == len(body["steps"])
    assert all(step["formula"] and step["subject"] and step["result"] for step in body["steps"])


def test_plot_samples_f_its_derivative_and_the_answer(client: Any) -> None:
    request = {"function": "x^3", "answer": "2x^2", "range": [-2, 2]}
    status, body = post(client, "plot", request)
    assert status == 200
    points = body["points"]
    xs = points["x"]
    assert xs[0] == -2 and xs[-1] == 2
    for x, f, derivative, answer in zip(xs, points["f"], points["derivative"], points["answer"]):
        assert f == pytest.approx(x**3, abs=1e-12)
        assert derivative == pytest.approx(3 * x**2, abs=1e-12)
        assert answer == pytest.approx(2 * x**2, abs=1e-12)
    svg = body["svg"]
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and svg.rstrip().endswith("</svg>")
    assert "href=\"http" not in svg and "<script" not in svg  # nothing to fetch, nothing to run


def test_plot_leaves_gaps_where_the_function_is_undefined(client: Any) -> None:
    status, body = post(client, "plot", {"function": "log(x)", "range": [-1, 1]})
    assert status == 200
    points = body["points"]
    negative = [f for x, f in zip(points["x"], points["f"]) if x < 0]
    assert negative and all(f is None for f in negative)
    assert points["answer"] is None


def test_plot_of_two_variables_needs_the_other_value(client: Any) -> None:
    status, body = post(client, "plot", {"function": "x y", "wrt": "x"})
    assert status == 400 and "y" in body["error"]["message"]
    status, body = post(client, "plot", {"function": "x y", "wrt": "x", "at": {"y": 3}, "range": [0, 1]})
    assert status == 200
    assert body["points"]["derivative"][0] == pytest.approx(3.0)



def test_plot_takes_the_other_value_named_by_its_greek_letter(client: Any) -> None:
    request = {"function": "\u03b8 y", "wrt": "y", "at": {"\u03b8": 3}, "range": [0, 1]}
    status, body = post(client, "plot", request)
    assert status == 200
    assert body["points"]["derivative"][0] == pytest.approx(3.0)
    request["at"] = {"\u03b8": 3, "theta": 2}
    status, body = post(client, "plot", request)
    assert status == 400 and "name one symbol" in body["error"]["message"]

# -- bad input ------------------------------------------------------------------------------------------
def test_a_parse_error_is_a_400_with_message_line_column_and_field(client: Any) -> None:
    status, body = post(client, "diff", {"function": "x^2 +* sin x"})
    assert status == 400
    error = body["error"]
    assert error["type"] == "ParseError" and error["field"] == "function"
    assert (error["line"], error["column"]) == (1, 6)   # the '*' after '+', counted by hand
    assert error["message"] == str(pytest.raises(sg.ParseError, sg.parse, "x^2 +* sin x").value)
    assert "^" in error["message"].splitlines()[-1]      # the caret line


def test_an_error_in_the_answer_names_the_answer_and_its_column(client: Any) -> None:
    status, body = post(client, "verify", {"function": "x^2", "answer": "f'(x) = 2x + )"})
    assert status == 400
    error = body["error"]
    assert error["field"] == "answer"
    assert (error["line"], error["column"]) == (1, 14)  # the ')' as typed, left side included


def test_a_multiline_error_reports_its_line(client: Any) -> None:
    status, body = post(client, "diff", {"function": "u = x^2\nsin(u) +", "wrt": "x"})
    assert status == 400 and body["error"]["line"] == 2


def test_several_variables_need_wrt(client: Any) -> None:
    status, body = post(client, "diff", {"function": "x y"})
    assert status == 400
    assert body["error"]["field"] == "wrt" and "x, y" in body["error"]["message"]


@pytest.mark.parametrize("body, field", [
    ({"function": "x", "wtr": "x"}, "wtr"),                # a typo is reported, not ignored
    ({"wrt": "x"}, "function"),                             # missing
    ({"function": 3}, "function"),                          # not text
    ({"function": "   "}, "function"),                      # empty
    ({"function": "x", "order": "2"}, "order"),             # not a number
    ({"function": "x", "order": 0}, "order"),
    ({"function": "x", "input": "mathml"}, "input"),
    ({"function": "x", "wrt": ["x", "y"]}, "wrt"),          # diff takes one variable
])
def test_malformed_fields_are_400_naming_the_field(client: Any, body: dict[str, Any], field: str) -> None:
    status, answer = post(client, "diff", body)
    assert status == 400, answer
    assert answer["error"]["field"] == field and answer["error"]["message"]


def test_a_body_that_is_not_a_json_object_is_400(client: Any) -> None:
    response = client.post("/api/diff", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400 and "JSON" in response.json()["error"]["message"]
    status, body = post(client, "diff", ["x^2"])
    assert status == 400 and "object" in body["error"]["message"]


def test_a_body_that_is_not_json_at_all_is_415(client: Any) -> None:
    response = client.post("/api/diff", content=b"function=x", headers={"content-type": "text/plain"})
    assert response.status_code == 415 and "JSON" in response.json()["error"]["message"]


def test_get_on_the_api_is_405_with_a_json_message(client: Any) -> None:
    response = client.get("/api/diff")
    assert response.status_code == 405 and "POST" in response.json()["error"]["message"]


# -- limits -----------------------------------------------------------------------------------------------
def test_an_oversize_body_is_413(client: Any) -> None:
    body = b'{"function": "' + b"x+" * 3000 + b'x"}'
    response = client.post("/api/diff", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "4,096" in response.json()["error"]["message"]


def test_an_oversize_body_without_a_length_header_is_413(client: Any) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"function": "'
        for _ in range(100):
            yield b"x+" * 50
        yield b'x"}'

    response = client.post("/api/diff", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_an_oversize_expression_is_413_naming_the_limit(client: Any) -> None:
    status, body = post(client, "diff", {"function": "x+" * 200 + "x"})
    assert status == 413
    assert body["error"]["field"] == "function" and "300" in body["error"]["message"]


def test_an_order_over_the_limit_is_413(client: Any) -> None:
    status, body = post(client, "diff", {"function": "x^2", "order": 7})
    assert status == 413 and body["error"]["field"] == "order" and "6" in body["error"]["message"]


def test_work_past_the_time_limit_is_503_and_the_server_goes_on() -> None:
    limits = WebLimits(max_order=10, time_limit=1.0, workers=1)
    with TestClient(create_app(limits)) as slow:
        post(slow, "diff", {"function": "x"})  # the worker has started and imported its modules
        start = time.perf_counter()
        # Verifying a 6th derivative of this takes over 20 s (its closed form is checked at
        # hundreds of points, in high precision where they differ).
        status, body = post(slow, "verify", {"function": "exp(sin(x)*cos(x)^x/(1+x^2)^(1/3))",
                                             "answer": "x", "order": 6})
        elapsed = time.perf_counter() - start
        assert status == 503
        assert "time limit" in body["error"]["message"] and body["error"]["type"] == "TimeLimitExceeded"
        assert elapsed < 10.0   # 1 s of work, then the worker is killed (margin for a busy machine)
        status, body = post(slow, "diff", {"function": "x^2"})  # a fresh worker answers
        assert status == 200 and body["derivative"] == "2*x"


# -- the page and its files ------------------------------------------------------------------------------
def test_the_page_and_katex_are_served_with_a_same_origin_policy(client: Any) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    for path in ("/static/app.js", "/static/style.css", "/static/vendor/katex/katex.min.js",
                 "/static/vendor/katex/katex.min.css", "/static/vendor/katex/fonts/KaTeX_Main-Regular.woff2"):
        assert client.get(path).status_code == 200, path
    for reference in ("/static/vendor/katex/katex.min.js", "/static/app.js", "/static/style.css"):
        assert reference in page.text
    assert "http://" not in page.text and "https://" not in page.text


def test_every_static_file_ships_in_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["symgrad.web"]
    package = ROOT / "symgrad" / "web"
    files = [path.relative_to(package).as_posix() for path in (package / "static").rglob("*")
             if path.is_file()]
    assert "static/vendor/katex/LICENSE" in files and "static/index.html" in files
    unshipped = [name for name in files if name != "static/vendor/katex/README.md"
                 and not any(fnmatch.fnmatch(name, pattern) and name.count("/") == pattern.count("/")
                             for pattern in patterns)]
    assert unshipped == []
    assert "symgrad.web" in config["tool"]["setuptools"]["packages"]


def test_the_katex_font_files_the_stylesheet_asks_for_first_are_vendored() -> None:
    folder = ROOT / "symgrad" / "web" / "static" / "vendor" / "katex"
    wanted = set(re.findall(r"url\(fonts/([\w-]+\.woff2)\)", (folder / "katex.min.css").read_text()))
    assert wanted and wanted <= {path.name for path in (folder / "fonts").iterdir()}


# -- the command --------------------------------------------------------------------------------------------
def test_serve_binds_to_loopback_and_says_so() -> None:
    with served() as (url, line):
        assert url.startswith("http://127.0.0.1:")
        assert "127.0.0.1" in line and "only this computer" in line
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200 and b"symgrad" in response.read()
        request = urllib.request.Request(url + "api/diff", data=b'{"function": "x^3"}',
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            assert b'"derivative":"3*x**2"' in response.read()


def test_serve_refuses_other_host_names_on_loopback() -> None:
    # A page on another site that rebinds its DNS name to 127.0.0.1 sends its own Host header.
    with served() as (url, _):
        request = urllib.request.Request(url, headers={"Host": "attacker.example"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 400
        refused.value.close()


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                            ("[::1]", True), ("0.0.0.0", False), ("192.168.1.5", False)])
def test_which_hosts_count_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_taken_port_is_a_clear_error() -> None:
    first = bind("127.0.0.1", 0)
    try:
        port = first.getsockname()[1]
        with pytest.raises(sg.ArgumentError, match=f"127.0.0.1:{port}.*--port"):
            bind("127.0.0.1", port)
    finally:
        first.close()


def test_static_folder_is_inside_the_package() -> None:
    assert Path(sg.__file__).parent.joinpath("web", "static", "index.html").is_file()


# -- LaTeX input ----------------------------------------------------------------------------------------
def test_latex_input_is_read_by_parse_latex(client: Any) -> None:
    status, body = post(client, "diff", {"function": r"\frac{1}{x} + \sin^{2} x", "input": "latex"})
    assert status == 200
    expected = sympy.diff(1 / X + sympy.sin(X) ** 2, X)
    assert sympy.simplify(sympy_of(body["derivative"]) - expected) == 0
    status, verdict = post(client, "verify", {"function": r"\sqrt{x}", "input": "latex",
                                              "answer": r"f^{\prime}(x) = \frac{1}{2\sqrt{x}}"})
    assert status == 200 and verdict["status"] == "correct"


def test_a_latex_error_is_a_400_at_its_spot(client: Any) -> None:
    status, body = post(client, "diff", {"function": r"\frac{1}{x", "input": "latex"})
    assert status == 400
    error = body["error"]
    assert error["field"] == "function" and error["line"] == 1 and error["column"] is not None
    assert error["message"] == str(pytest.raises(sg.ParseError, sg.parse_latex, r"\frac{1}{x").value)


# -- the same verdicts as sg.verify on textbook exercises -------------------------------------------------
TEXTBOOK = [   # (function, a student's answer, right?) checked by hand
    ("x^3 - 4x + 7", "3x^2 - 4", True),
    ("(x^2+1)^5", "5(x^2+1)^4", False),                 # chain factor 2x missing
    ("e^(3x) sin x", "3e^(3x) sin x + e^(3x) cos x", True),
    ("ln(x^2 + 1)", "2x/(x^2+1)", True),
    ("x/(x+1)", "1/(x+1)^2", True),
    ("x/(x+1)", "-1/(x+1)^2", False),                    # quotient rule reversed
    ("tan x", "sec^2 x", True),
    ("sqrt(4 - x^2)", "-x/sqrt(4 - x^2)", True),
    ("arctan(2x)", "1/(1+4x^2)", False),                 # chain factor 2 missing
    ("x^x", "x x^(x-1)", False),                         # power rule on a variable exponent
]


@pytest.mark.parametrize("function, answer, right", TEXTBOOK)
def test_verdicts_match_sg_verify_on_textbook_exercises(client: Any, function: str, answer: str,
                                                        right: bool) -> None:
    status, body = post(client, "verify", {"function": function, "answer": answer})
    assert status == 200
    assert body["status"] == ("correct" if right else "wrong")
    assert body == sg.verify(function, answer).to_dict()


def test_a_worker_runs_out_of_memory_at_its_limit_not_the_machines() -> None:
    # In a child process: after the cap, 3 GB more is refused with MemoryError (Linux only).
    code = ("import sys\nfrom symgrad.web.workers import _address_space, _limit_memory\n"
            "if _address_space() is None: sys.exit(3)\n"
            "_limit_memory(256)\nsmall = bytearray(64 * 2**20)\n"
            "try:\n    bytearray(3 * 2**30)\nexcept MemoryError:\n    sys.exit(0)\nsys.exit(1)\n")
    done = subprocess.run([sys.executable, "-c", code], timeout=120, check=False)
    if done.returncode == 3:
        pytest.skip("the address-space cap is Linux only")
    assert done.returncode == 0
