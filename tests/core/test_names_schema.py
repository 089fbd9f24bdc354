import pytest

from toolsynth.catalog.names import NAME_PATTERN, NameRegistry, sanitize_name
from toolsynth.catalog.schema import map_type_name, normalize_parameters, schema_type_label
from toolsynth.errors import InputError


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("triangle_properties.get", "triangle_properties_get"),
        ("Get Weather Forecast", "Get_Weather_Forecast"),
        ("  spaced / slashed  ", "spaced_slashed"),
        ("日本語", "tool"),
    ],
)
def test_sanitize(original, expected):
    assert sanitize_name(original) == expected


def test_registry_makes_collisions_unique_and_valid():
    reg = NameRegistry()
    names = [reg.claim(n) for n in ["get weather", "get_weather", "get.weather", "x" * 80, "x" * 80 + "y"]]
    assert names[:3] == ["get_weather", "get_weather_2", "get_weather_3"]
    assert len(set(names)) == 5
    assert all(NAME_PATTERN.match(n) for n in names)
    assert names[3] != names[4] and len(names[3]) <= 64


def test_type_dialects_map_to_json_schema():
    assert map_type_name("dict") == ("object", {})
    assert map_type_name("float") == ("number", {})
    assert map_type_name("tuple") == ("array", {})
    assert map_type_name("any") == (None, {})
    assert map_type_name("List[int]") == ("array", {"items": {"type": "integer"}})
    assert map_type_name("Optional[str]") == ("string", {})


def test_refs_are_inlined_and_recursion_is_cut():
    schema = {
        "type": "object",
        "properties": {
            "item": {"$ref": "#/$defs/Item", "description": "the item"},
            "node": {"$ref": "#/$defs/Node"},
        },
        "required": ["item"],
        "$defs": {
            "Item": {
                "type": "object",
                "properties": {"id": {"type": "str"}, "qty": {"type": "int", "default": 1}},
            },
            "Node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/Node"}}},
        },
    }
    out = normalize_parameters(schema, where="f.json$.tools[0]")
    assert "$defs" not in out
    assert out["properties"]["item"] == {
        "type": "object",
        "properties": {"id": {"type": "string"}, "qty": {"type": "integer", "default": 1}},
        "description": "the item",
    }
    child = out["properties"]["node"]["properties"]["child"]
    assert child["type"] == "object" and "properties" not in child  # cut at the recursive visit
    assert out["required"] == ["item"]


def test_bad_parameters_raise_with_location():
    with pytest.raises(InputError, match=r"f.json\$\[3\].parameters: parameters must have type object"):
        normalize_parameters({"type": "string"}, where="f.json$[3].parameters")
    with pytest.raises(InputError, match="missing definition"):
        normalize_parameters({"type": "object", "properties": {"a": {"$ref": "#/$defs/Nope"}}}, where="x")
    with pytest.raises(InputError, match="parameters must be an object"):
        normalize_parameters(["a"], where="x")


def test_enums_defaults_and_type_labels_survive():
    out = normalize_parameters(
        {
            "type": "dict",
            "properties": {
                "unit": {"type": "string", "enum": ["c", "f"], "default": "c"},
                "ids": {"type": "array", "items": {"type": "float"}},
                "maybe": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            },
        },
        where="x",
    )
    assert out["properties"]["unit"] == {"type": "string", "enum": ["c", "f"], "default": "c"}
    assert schema_type_label(out["properties"]["ids"]) == "array[number]"
    assert schema_type_label(out["properties"]["maybe"]) == "string"
