import os

import pytest

from domain.ids import ALPHABET, case_id_for_request, case_id_from_bytes, normalize_case_id

pytestmark = pytest.mark.unit


def test_case_id_shape():
    case_id = case_id_from_bytes("BKL", os.urandom(8))
    prefix, a, b = case_id.split("-")
    assert prefix == "BKL" and len(a) == len(b) == 5
    assert all(ch in ALPHABET for ch in a + b)


def test_same_request_id_gives_same_case_and_different_ones_differ():
    assert case_id_for_request("BKL", "req-0001-aaaaaaaaaaaa") == case_id_for_request("BKL", "req-0001-aaaaaaaaaaaa")
    assert case_id_for_request("BKL", "req-0001-aaaaaaaaaaaa") != case_id_for_request("BKL", "req-0002-aaaaaaaaaaaa")


def test_too_little_entropy_is_refused():
    with pytest.raises(ValueError):
        case_id_from_bytes("BKL", b"123")


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("BKL-7K3M9-Q2PXZ", "BKL-7K3M9-Q2PXZ"),
        ("bkl7k3m9q2pxz", "BKL-7K3M9-Q2PXZ"),
        (" bkl - 7k3m9 - q2pxz ", "BKL-7K3M9-Q2PXZ"),
        ("BKL-0O1IL-ABCDE", "BKL-00111-ABCDE"),  # O read as 0, I and L as 1
        ("BKLAB3M9Q2PXZ", "BKL-AB3M9-Q2PXZ"),  # the body is always the last ten characters
    ],
)
def test_normalize_accepts_what_people_type(typed, expected):
    assert normalize_case_id(typed) == expected


@pytest.mark.parametrize("typed", ["", "x", "BKL-12345", "BKL-7K3M9-Q2PXU", "1234567890123", "../etc/passwd"])
def test_normalize_refuses_what_cannot_be_a_case_id(typed):
    assert normalize_case_id(typed) is None
