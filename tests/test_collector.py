"""The cyclic collector is paused while a large text is parsed, and resumed as it was."""

from __future__ import annotations

import gc
import importlib
import threading

import pytest

import symgrad as sg
from symgrad.core.collector import collector_paused
from symgrad.language.parse import LARGE_TEXT

parse_module = importlib.import_module("symgrad.language.parse")


def large_sum(terms: int = 3000) -> str:
    text = " + ".join(f"3*x{i}**2" for i in range(terms))
    assert len(text) >= LARGE_TEXT
    return text


def test_a_large_parse_pauses_the_collector_and_resumes_it() -> None:
    seen: list[bool] = []
    original = parse_module._parse

    def spying(text: str, declared: dict[str, sg.Expr]) -> sg.Expr:
        seen.append(gc.isenabled())
        return original(text, declared)

    mp = pytest.MonkeyPatch()
    mp.setattr(parse_module, "_parse", spying)
    try:
        assert gc.isenabled()
        sg.parse(large_sum())
        sg.parse("x + 1")
    finally:
        mp.undo()
    assert seen == [False, True]  # off during the large parse only
    assert gc.isenabled()


def test_the_collector_is_resumed_after_a_large_parse_fails() -> None:
    with pytest.raises(sg.ParseError):
        sg.parse(large_sum() + " + )")
    assert gc.isenabled()


def test_a_collector_disabled_by_the_user_stays_disabled() -> None:
    gc.disable()
    try:
        sg.parse(large_sum())
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_pauses_nest_across_threads() -> None:
    inside = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with collector_paused():
            inside.set()
            release.wait(10)

    worker = threading.Thread(target=hold)
    worker.start()
    inside.wait(10)
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other thread's pause still holds
    release.set()
    worker.join()
    assert gc.isenabled()
