import pytest
from pydantic import ValidationError

from domain.complaint import Reporter

pytestmark = pytest.mark.unit


def test_reason_names_the_field_but_not_the_personal_value(monkeypatch):
    # Import here: the module builds the faust app from settings on import.
    from stream_processors.dead_letter import reason_of

    with pytest.raises(ValidationError) as err:
        Reporter(phone="0812-7300-99x9-BAD", email="siti.aminah@contoh")
    reason = reason_of(err.value)
    assert "phone" in reason and "email" in reason
    assert "0812" not in reason and "siti.aminah" not in reason
