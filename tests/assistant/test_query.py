"""Question parsing: the periods, countries, HS codes and names a question names."""

from __future__ import annotations

from datetime import date

import pytest

from tradesentinel.assistant.query import hs_codes_of, period_of
from tradesentinel.assistant.slots import slots_of


@pytest.mark.parametrize(
    ("question", "start", "end"),
    [
        ("What changed in 2023?", date(2023, 1, 1), date(2023, 12, 31)),
        ("Anomalies in March 2022", date(2022, 3, 1), date(2022, 3, 31)),
        ("flows in Feb 2024", date(2024, 2, 1), date(2024, 2, 29)),
        ("spikes in 2022-11", date(2022, 11, 1), date(2022, 11, 30)),
        ("Q2 2023 re-exports", date(2023, 4, 1), date(2023, 6, 30)),
        ("trend 2021-2023", date(2021, 1, 1), date(2023, 12, 31)),
        ("between 2023 and 2021", date(2021, 1, 1), date(2023, 12, 31)),
        ("new corridors since 2022", date(2022, 1, 1), None),
        ("before 2022", None, date(2021, 12, 31)),
        ("Which flows look odd?", None, None),
    ],
)
def test_periods(question, start, end):
    assert period_of(question) == (start, end)


def test_countries_hs_codes_and_names_become_slots():
    slots = slots_of("Did Acme Trading LLC ship HS 8542 from Germany to Kazakhstan in March 2022?")
    assert slots.countries == ("DEU", "KAZ") and (slots.origin, slots.destination) == ("DEU", "KAZ")
    assert slots.hs_codes == ("8542",)
    assert slots.names == ("Acme Trading LLC",)
    assert slots.period_from == date(2022, 3, 1)


def test_a_year_is_not_an_hs_code_but_a_lone_six_digit_code_is():
    assert hs_codes_of("imports of 854231 in 2023") == ("854231",)
    assert hs_codes_of("imports in 2023") == ()


def test_quoted_names_are_names_and_plain_questions_name_nothing():
    assert slots_of('Is "Volga Shipping" on a list?').names[0] == "Volga Shipping"
    plain = slots_of("what is unusual?")
    assert not (plain.countries or plain.hs_codes or plain.names or plain.period_from)
