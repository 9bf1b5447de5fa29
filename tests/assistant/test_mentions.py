"""Finding the numbers, countries and organisations a sentence claims, the way verification needs."""

from __future__ import annotations

from tradesentinel.assistant.mentions import content_words, countries_in, numbers_in, organisations_in


def _values(text: str) -> list[float]:
    return [n.value for n in numbers_in(text)]


def test_numbers_are_normalised_across_the_ways_people_write_them():
    assert _values("worth 1,234,567 dollars") == [1234567]
    assert _values("USD 1.2 million and $3.4bn") == [1_200_000, 3_400_000_000]
    assert [(n.value, n.percent) for n in numbers_in("up 12% on 2023")] == [(12, True), (2023, False)]


def test_a_rounded_number_matches_the_exact_one_at_its_written_precision():
    written, exact, other = numbers_in("1.2 million, 1,234,567 and 1,310,000")
    assert written.matches(exact)
    assert not written.matches(other)
    assert not exact.matches(written)  # 1,234,567 claims more precision than 1.2 million gives


def test_countries_by_name_alias_adjective_and_iso3():
    assert countries_in("Russia re-exported via the UAE and Türkiye to KAZ") == {"RUS", "ARE", "TUR", "KAZ"}
    assert countries_in("German machinery reached the Russian Federation") == {"DEU", "RUS"}
    assert countries_in("AND THEN nothing") == set()


def test_organisations_are_multiword_names_legal_forms_and_acronyms_not_countries():
    orgs = organisations_in(
        "In March 2023 OFAC listed Volga Shipping Ltd. and the United Arab Emirates agreed."
    )
    assert orgs == ["OFAC", "Volga Shipping Ltd"]
    assert organisations_in("Exports from China rose sharply.") == []


def test_content_words_ignore_stopwords_and_numbers():
    assert content_words("The exports of 45 microchips rose") == {"expor", "micro", "rose"}
