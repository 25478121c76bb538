"""Rows' data against a communication's schema: the fast check and the error reported
agree with python-jsonschema, formats are not asserted, and nothing is ever fetched."""

import pytest

from channels.services.routing import DataValidator, RowError, data_validator
from tests.recording_server import RecordingHandler, recording_server

SCHEMA = {
    "type": "object",
    "required": ["amount", "items"],
    "properties": {
        "amount": {"type": "number", "minimum": 0},
        "payment_url": {"type": "string", "format": "uri"},
        "items": {"type": "array", "items": {"type": "object", "required": ["sku"]}},
    },
}


def _reason(validator, data):
    with pytest.raises(RowError) as caught:
        validator.validate(data)
    return caught.value.field, caught.value.reason


def test_good_rows_pass_and_bad_ones_name_the_field_and_the_reason():
    validator = DataValidator(SCHEMA)

    validator.validate({"amount": 12.5, "items": [{"sku": "A1"}]})
    assert _reason(validator, {"amount": "lots", "items": []}) == (
        "data.amount",
        "'lots' is not of type 'number'",
    )
    assert _reason(validator, {"amount": 1, "items": [{"name": "x"}]}) == (
        "data.items.0",
        "'sku' is a required property",
    )
    assert _reason(validator, {"items": []}) == ("data", "'amount' is a required property")
    assert _reason(validator, ["not", "an", "object"]) == ("data", "must be an object")


def test_formats_are_not_asserted():
    DataValidator(SCHEMA).validate({"amount": 1, "items": [], "payment_url": "not a uri"})


def test_an_empty_schema_accepts_any_object():
    DataValidator({}).validate({"anything": ["goes"]})


def test_a_schema_is_compiled_once():
    assert data_validator(SCHEMA) is data_validator(dict(SCHEMA))


def test_a_remote_reference_is_never_fetched():
    with recording_server() as url:
        DataValidator({"type": "object", "properties": {"name": {"$ref": f"{url}/name.json"}}})
        assert RecordingHandler.hits == []
