"""The contract's public names are an explicit list: nothing is exported by accident, nothing
listed is missing, and every public schema of :mod:`contract.wire` is exported."""

from __future__ import annotations

import inspect

import contract
from contract import wire


def test_every_name_in_all_is_exported() -> None:
    missing = [name for name in contract.__all__ if not hasattr(contract, name)]
    assert missing == []


def test_every_public_member_of_the_wire_module_is_exported() -> None:
    public = {
        name
        for name, value in vars(wire).items()
        if not name.startswith("_")
        and (
            (
                (inspect.isclass(value) or inspect.isfunction(value))
                and value.__module__ == wire.__name__
            )
            or (name.isupper() and isinstance(value, str | int | tuple))  # topic names, version
        )
    }
    assert public <= set(contract.__all__)


def test_the_package_exports_nothing_but_its_list() -> None:
    exported = {
        name
        for name in vars(contract)
        if not name.startswith("_") and not inspect.ismodule(getattr(contract, name))
    }
    assert exported == set(contract.__all__)
