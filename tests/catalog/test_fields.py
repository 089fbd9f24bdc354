"""Field-by-field spot checks of one or two tools per format: a parameter's type after mapping, a required list,
enums/defaults, a return field, provenance."""

from __future__ import annotations

import json

import jsonschema
import pytest

from toolsynth.catalog.load import load_catalog


@pytest.fixture(scope="module")
def catalogs(shared_catalogs):
    cache: dict[str, object] = {}

    def get(rel: str):
        if rel not in cache:
            cache[rel] = load_catalog(shared_catalogs / rel)
        return cache[rel]

    return get


def _tool(result, name):
    matches = [t for t in result.tools if t.name == name]
    assert len(matches) == 1, [t.name for t in result.tools][:20]
    return matches[0]


def _returns(tool):
    return {f.name: f for f in tool.returns.fields}


def test_bfcl_book_flight(catalogs):
    t = _tool(catalogs("bfcl/multi_turn_func_doc"), "book_flight")
    assert t.parameters["type"] == "object"  # BFCL `dict`
    assert t.required == [
        "access_token",
        "card_id",
        "travel_date",
        "travel_from",
        "travel_to",
        "travel_class",
    ]
    assert t.properties["travel_date"]["type"] == "string"
    ret = _returns(t)
    assert ret["booking_id"].type == "string" and ret["booking_status"].type == "boolean"
    assert ret["booking_history"].type == "object"  # nested `dict` mapped, and flattened one level down
    assert "booking_history.booking_id" in ret
    assert t.returns.schema_["type"] == "object"
    p = t.provenance
    assert (p.catalog, p.format, p.category) == ("multi_turn_func_doc", "bfcl", "TravelAPI")
    assert p.source_file == "multi_turn_func_doc/travel_booking.json"


def test_bfcl_float_maps_to_number_and_memory_names_stay_unique(catalogs):
    r = catalogs("bfcl/multi_turn_func_doc")
    types = {
        json.dumps(t.parameters).count('"float"')
        + json.dumps(t.returns.schema_ if t.returns else {}).count('"dict"')
        for t in r.tools
    }
    assert types == {0}
    add = sorted((t.name, t.provenance.category) for t in r.tools if t.original_name == "core_memory_add")
    assert add == [("core_memory_add", "MemoryAPI_kv"), ("core_memory_add_2", "MemoryAPI_vector")]


def test_bfcl_dotted_names_are_sanitized(shared_catalogs):
    r = load_catalog(shared_catalogs / "bfcl/v4_samples/BFCL_v4_multiple.json")
    t = _tool(r, "triangle_properties_get")
    assert t.original_name == "triangle_properties.get"
    assert t.properties["side1"]["type"] == "integer" and t.required == ["side1", "side2", "side3"]
    assert t.properties["get_area"]["default"] is True
    assert t.provenance.source_id == "multiple_0.function[0]"


def test_tau2_refs_are_inlined(catalogs):
    r = catalogs("tau2-bench/airline")
    t = _tool(r, "book_reservation")
    text = json.dumps(t.parameters)
    assert "$ref" not in text and "$defs" not in text
    flight = t.properties["flights"]["items"]["anyOf"][0]
    assert flight["properties"]["flight_number"]["type"] == "string"
    assert flight["required"] == ["flight_number", "date"]
    assert t.properties["cabin"]["enum"] == ["business", "economy", "basic_economy"]
    assert t.provenance.attributes["tool_type"] == "write"
    # The parameters are a usable JSON Schema: a real call validates, a wrong type does not.
    call = {
        "user_id": "sara_doe_496",
        "origin": "SFO",
        "destination": "JFK",
        "flight_type": "one_way",
        "cabin": "economy",
        "flights": [{"flight_number": "HAT001", "date": "2024-05-01"}],
        "passengers": [{"first_name": "Sara", "last_name": "Doe", "dob": "1990-01-01"}],
        "payment_methods": [{"payment_id": "credit_card_1", "amount": 100}],
        "total_baggages": 0,
        "nonfree_baggages": 0,
        "insurance": "no",
    }
    jsonschema.validate(call, t.parameters)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**call, "cabin": "first"}, t.parameters)


def test_tau2_returns_and_raises(catalogs):
    t = _tool(catalogs("tau2-bench/airline"), "get_reservation_details")
    ret = _returns(t)
    assert ret["reservation_id"].type == "string"
    assert ret["flights[].flight_number"].description == "Unique flight identifier"
    assert "$ref" not in json.dumps(t.returns.schema_)
    assert t.returns.description.startswith("The reservation details.")
    assert "Raises ValueError: If the reservation is not found." in t.returns.description
    assert t.provenance.attributes["raises"] == [
        {"type": "ValueError", "desc": "If the reservation is not found."}
    ]


def test_tau2_mock_user_tools(catalogs):
    r = catalogs("tau2-bench/mock")
    t = _tool(r, "check_notifications")
    assert t.provenance.attributes["user_tool"] is True
    assert _returns(t)["[].status"].type == "string"  # list of Notification, from `$defs` inside x-returns


def test_tau_bench_retail_returns_are_strings(catalogs):
    t = _tool(catalogs("tau-bench/retail"), "calculate")
    assert t.required == ["expression"]
    assert [(f.name, f.type) for f in t.returns.fields] == [("result", "string")]
    assert t.returns.description.startswith("The result rounded to 2 decimals")
    assert t.provenance.source_file == "retail/tools.with_returns.json"
    assert t.provenance.category == "retail"


def test_mcp_filesystem_and_kebab_names(catalogs):
    r = catalogs("mcp-servers")
    t = _tool(r, "read_text_file")
    assert t.required == ["path"] and t.properties["head"]["type"] == "number"
    assert _returns(t)["content"].type == "string"
    assert t.provenance.attributes["annotations"]["readOnlyHint"] is True
    assert t.provenance.category == "filesystem"
    s = _tool(r, "get-sum")
    assert s.original_name == "get-sum" and s.returns is None


def test_toolbench_api(catalogs):
    r = catalogs("toolbench")
    t = _tool(r, "getOrderById_for_PetstoreRateLimit")
    assert t.original_name == "getOrderById"
    assert t.properties == {
        "orderId": {"type": "number", "description": "ID of pet that needs to be fetched"}
    }
    assert t.required == ["orderId"]
    assert {f.name: f.type for f in t.returns.fields} == {
        "code": "integer",
        "type": "string",
        "message": "string",
    }
    assert (t.provenance.category, t.provenance.attributes["tool"]) == ("Advertising", "PetstoreRateLimit")
    d = _tool(r, "API_Dividend_for_Finanzoo_API_Fundamentals")
    assert d.properties["from"] == {
        "type": "string",
        "description": "(YYYY-MM-DD)",
        "examples": ["1962-01-01"],
    }


def test_toolbench_nested_template_becomes_dotted_fields(catalogs):
    r = catalogs("toolbench")
    nested = [t for t in r.tools if t.returns and any("[]." in f.name for f in t.returns.fields)]
    assert nested
    t = nested[0]
    list_field = next(f for f in t.returns.fields if "[]." in f.name)
    parent = list_field.name.split("[].", 1)[0]
    assert {f.name: f.type for f in t.returns.fields}[parent].startswith("array")


def test_toolalpaca_operation(catalogs):
    r = catalogs("toolalpaca")
    t = _tool(r, "searchAxolotlImages")
    assert t.properties["color"] == {
        "type": "string",
        "enum": ["wild", "leucistic", "albino"],
        "description": "The color of the axolotl (e.g., 'wild', 'leucistic', 'albino', etc.)",
    }
    assert t.required == []
    ret = _returns(t)
    assert ret["results"].type == "array[object]" and ret["results[].url"].type == "string"
    assert ret["pagination.total_pages"].type == "integer"
    c = _tool(r, "CountryCountryInfo")
    assert c.required == ["countryCode"]  # path parameter
    assert c.provenance.attributes == {
        "api": "Nager.Date",
        "method": "GET",
        "path": "/api/v3/CountryInfo/{countryCode}",
    }
    assert "commonName" in _returns(c)  # response schema behind a components `$ref`


def test_seal_tool(catalogs):
    t = _tool(catalogs("seal-tools"), "getBusinessValuation")
    assert t.required == ["company_name", "valuation_date"]
    assert t.properties["valuation_method"]["type"] == "string"  # Python `str`
    ret = _returns(t)
    assert ret["valuation_amount"].type == "number"  # Python `float`
    assert t.provenance.category == "Accounting/Business Valuation"


def test_nestful_specs(catalogs):
    r = catalogs("nestful")
    sky = _tool(r, "SkyScrapperFlightSearch")
    assert sky.required[:4] == ["originSkyId", "destinationSkyId", "originEntityId", "destinationEntityId"]
    assert sky.properties["adults"]["type"] == "number"  # `Number`
    assert "required" not in sky.properties["adults"]
    assert _returns(sky)["flightId"].type == "string"
    assert sky.provenance.attributes["host"] == "sky-scrapper.p.rapidapi.com"
    bus = _tool(r, "Buses_FindBus")
    assert bus.original_name == "Buses.FindBus" and bus.provenance.category == "Buses"
    assert bus.required == ["origin", "destination", "departure_date"]
    assert bus.properties["fare_type"]["enum"] == ["Economy", "Economy extra", "Flexible"]
    assert bus.properties["fare_type"]["default"] == "Economy"
    assert _returns(bus)["group_size"].type == "string"


def test_toolace_spaces_and_variants(catalogs):
    r = catalogs("toolace")
    t = _tool(r, "Market_Trends_API")
    assert t.original_name == "Market Trends API"
    assert t.required == ["trend_type"] and t.properties["country"]["default"] == "us"
    variants = sorted(t.name for t in r.tools if t.original_name == "Get Products in Category")
    assert variants == [
        "Get_Products_in_Category",
        "Get_Products_in_Category_2",
        "Get_Products_in_Category_3",
    ]


def test_field_texts_cover_params_and_returns(catalogs):
    t = _tool(catalogs("seal-tools"), "getBusinessValuation")
    texts = t.field_texts()
    assert (
        "company_name: The name of the company for which you want to get the business valuation (string)"
        in texts
    )
    assert any(x.startswith("valuation_amount: ") and x.endswith("(number)") for x in texts)
