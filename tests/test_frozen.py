"""quick_init: the same __init__ as the dataclass's (parameters, defaults, factories), faster."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

import bouncewatch.model
import bouncewatch.store.policy
import bouncewatch.store.recorder
from bouncewatch.model import GENERATED, quick_init

CLASSES = sorted(GENERATED, key=lambda c: f"{c.__module__}.{c.__qualname__}")
IDS = [c.__qualname__ for c in CLASSES]


def test_the_hot_path_classes_have_it() -> None:
    names = {c.__qualname__ for c in CLASSES}
    assert {
        "RawMessage", "RecipientReport", "DecodedMessage", "Classification", "RecipientResult",
        "ParseResult", "AddressStatus", "PolicyEvent", "Change", "Decision", "RecordOutcome",
    } <= names  # fmt: skip
    for cls in CLASSES:
        assert cls.__init__ is not GENERATED[cls]
        assert cls.__init__.__qualname__ == f"{cls.__qualname__}.__init__"


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_same_parameters_as_the_dataclass(cls: type) -> None:
    ours = list(inspect.signature(cls.__init__).parameters.values())
    theirs = list(inspect.signature(GENERATED[cls]).parameters.values())
    assert [(p.name, p.kind) for p in ours] == [(p.name, p.kind) for p in theirs]
    for field, p, q in zip(dataclasses.fields(cls), ours[1:], theirs[1:], strict=True):
        if field.default_factory is not dataclasses.MISSING:
            assert p.default is not inspect.Parameter.empty
            assert q.default is not inspect.Parameter.empty
        else:
            assert p.default is q.default, field.name


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_every_field_is_set_to_its_argument(cls: type) -> None:
    fields = dataclasses.fields(cls)
    values = [object() for _ in fields]
    for built in (cls(*values), cls(**{f.name: v for f, v in zip(fields, values, strict=True)})):
        for f, v in zip(fields, values, strict=True):
            assert getattr(built, f.name) is v, f.name
        reference = object.__new__(cls)
        GENERATED[cls](reference, *values)
        assert built == reference
        assert repr(built) == repr(reference)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_defaults_and_factories_as_the_dataclass_gives_them(cls: type) -> None:
    fields = dataclasses.fields(cls)
    required = [object() for f in fields if _required(f)]
    one, two = cls(*required), cls(*required)
    reference = object.__new__(cls)
    GENERATED[cls](reference, *required)
    assert one == reference
    for f in fields:
        if f.default_factory is not dataclasses.MISSING:
            assert getattr(one, f.name) == f.default_factory()
            assert getattr(one, f.name) is not getattr(two, f.name)  # a new one each time
        elif not _required(f):
            assert getattr(one, f.name) is f.default


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_still_frozen_and_strict(cls: type) -> None:
    fields = dataclasses.fields(cls)
    built = cls(*[object() for f in fields])
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(built, fields[0].name, 1)
    with pytest.raises(TypeError):
        cls(*[object() for f in fields], object())  # one argument too many
    with pytest.raises(TypeError):
        cls(no_such_field=1)
    if _required(fields[0]):
        with pytest.raises(TypeError):
            cls()


def _required(f: dataclasses.Field[object]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def test_refuses_what_it_would_get_wrong() -> None:
    @dataclasses.dataclass(slots=True)
    class Mutable:
        a: int

    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class PostInit:
        a: int

        def __post_init__(self) -> None:
            pass

    @dataclasses.dataclass(frozen=True, slots=True)
    class KeywordOnly:
        a: int = dataclasses.field(kw_only=True)

    @dataclasses.dataclass(frozen=True, slots=True)
    class NotInInit:
        a: int = dataclasses.field(init=False, default=1)

    for cls in (Mutable, NoSlots, PostInit, KeywordOnly, NotInInit):
        with pytest.raises(TypeError, match="quick_init"):
            quick_init(cls)
        assert cls not in GENERATED


def test_the_modules_using_it_are_imported() -> None:
    # (the classes above are collected from these imports)
    assert bouncewatch.model.ParseResult in GENERATED
    assert bouncewatch.store.policy.AddressStatus in GENERATED
    assert bouncewatch.store.recorder.RecordOutcome in GENERATED
