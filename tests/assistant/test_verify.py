"""Verification drops every sentence that its cited passage does not support."""

from __future__ import annotations

from dataclasses import replace

from tradesentinel.assistant.verify import (
    SentenceStream,
    citations_in,
    split_sentences,
    verify_sentence,
    verify_text,
)


def test_citations_in_their_usual_spellings():
    assert citations_in("Rose 45% [2].") == [2]
    assert citations_in("Both [1, 3] and [2-4] and (evidence 5).") == [1, 3, 2, 4, 5]
    assert citations_in("No citation here, 2023 (2022).") == []


def test_sentences_split_on_stops_but_not_on_legal_forms_or_decimals():
    text = "1. Volga Shipping Ltd. is listed [2]. 2. Exports rose 4.2 times.\n[1] Traders agreed. [3] Umbrellas n.e.c. in heading no. 6601 [4]."
    assert split_sentences(text) == [
        "Volga Shipping Ltd. is listed [2].",
        "Exports rose 4.2 times.",
        "[1] Traders agreed [3].",
        "Umbrellas n.e.c. in heading no. 6601 [4].",
    ]


def test_streamed_sentences_come_out_once_each_and_only_when_complete():
    stream, out = SentenceStream(), []
    for piece in ["Germany exp", "orted chips [1]", ". Prices", " rose 45% [3]. The", " end"]:
        out += stream.feed(piece)
    assert out == ["Germany exported chips [1].", "Prices rose 45% [3]."]
    assert stream.flush() == ["The end"]


def test_a_citation_after_the_full_stop_stays_with_its_sentence_while_streaming():
    stream, out = SentenceStream(), []
    for piece in ["Prices rose 45%.", " [3]", " Volumes fell", " [2]."]:
        out += stream.feed(piece)
    assert out + stream.flush() == ["Prices rose 45% [3].", "Volumes fell [2]."]


def test_a_supported_sentence_is_kept_with_its_citation(evidence):
    verdict = verify_sentence("Germany exported processors to Kazakhstan worth USD 12,345,678 [1].", evidence)
    assert verdict.kept and verdict.cited == (1,)


def test_a_rounded_amount_and_percentage_are_supported(evidence):
    assert verify_sentence(
        "Germany exported processors worth USD 12.3 million to Kazakhstan [1].", evidence
    ).kept
    assert verify_sentence("Kazakhstan re-exports of microchips to Russia jumped 45% [3].", evidence).kept


def test_a_citation_outside_the_evidence_list_drops_the_sentence(evidence):
    verdict = verify_sentence("Germany exported processors to Kazakhstan [7].", evidence)
    assert not verdict.kept and "[7]" in verdict.reason


def test_a_number_country_organisation_or_date_not_in_the_cited_passage_drops_it(evidence):
    cases = {
        "Germany exported processors worth USD 99 million to Kazakhstan [1].": "number",
        "Germany exported processors and controllers to Armenia [1].": "country ARM",
        "Germany exported processors to Kazakhstan via Acme Trading LLC [1].": "organisation",
        "Germany exported processors to Kazakhstan on 2022-03-04 [1].": "date 2022-03-04",
    }
    for sentence, reason in cases.items():
        verdict = verify_sentence(sentence, evidence)
        assert not verdict.kept and reason in verdict.reason, sentence


def test_a_claim_must_be_in_the_passage_it_cites_not_just_anywhere(evidence):
    # 45% is in passage 3, not in passage 1 which the sentence cites
    assert not verify_sentence("Germany exported processors to Kazakhstan, up 45% [1].", evidence).kept


def test_an_unrelated_sentence_with_a_real_citation_is_dropped(evidence):
    verdict = verify_sentence("The weather in Paris was lovely and sunny [1].", evidence)
    assert not verdict.kept


def test_an_uncited_sentence_gets_the_one_passage_supporting_it_or_is_dropped(evidence):
    copied = verify_sentence(
        "Volga Shipping Ltd, a company registered in Russia, was listed on 2022-04-06.", evidence
    )
    assert copied.kept and copied.attributed and copied.cited == (2,)
    invented = verify_sentence("Volga Shipping Ltd was fined USD 5 million.", evidence)
    assert not invented.kept
    assert not verify_sentence(
        "Volga Shipping Ltd, a company registered in Russia.", evidence, attribute=False
    ).kept


def test_a_sentence_that_says_nothing_checkable_is_dropped(evidence):
    verdict = verify_sentence("DEMO flow [1].", evidence)
    assert not verdict.kept and "too little" in verdict.reason


def test_an_unfinished_sentence_is_dropped(evidence):
    assert not verify_sentence("Germany exported processors worth USD 1", evidence).kept


def test_a_sentence_cut_inside_brackets_is_dropped(evidence):
    cut = "HS 854231 (Electronic integrated circuits; processors and controllers, whether or not [4]."
    verdict = verify_sentence(cut, evidence)
    assert not verdict.kept and "bracket" in verdict.reason
    assert verify_sentence(cut.replace(" [4].", ") [4]."), evidence).kept


def test_evidence_metadata_counts_as_support(evidence):
    # passage 2 names Russia in words; its metadata also lists RUS, which the user sees with it
    bare = replace(evidence[1], text="OFAC SDN entry: Volga Shipping Ltd, listed on 2022-04-06.")
    assert verify_sentence("Volga Shipping Ltd in RUS was listed by OFAC [1].", [bare]).kept


def test_verify_text_judges_every_sentence(evidence):
    text = "Kazakhstan re-exports of microchips to Russia jumped 45% [3]. Microchip re-exports fell 80% [3]."
    assert [v.kept for v in verify_text(text, evidence)] == [True, False]


def test_a_negation_must_be_what_the_passage_says(evidence):
    # every word is in passage 2, but it says the opposite of the passage
    denial = verify_sentence("No, Volga Shipping Ltd is not on the OFAC SDN list [2].", evidence)
    assert not denial.kept and "negation" in denial.reason
    assert not verify_sentence("Volga Shipping Ltd isn't registered in Russia [2].", evidence).kept
    assert not verify_sentence("Volga Shipping Ltd is a non-sanctioned company in Russia [2].", evidence).kept
    assert not verify_sentence("Volga Shipping Ltd was delisted by OFAC [2].", evidence).kept
    hedged = replace(evidence[1], text=evidence[1].text + " The vessel was not inspected.")
    assert verify_sentence("The Volga Shipping vessel was not inspected [1].", [hedged]).kept


def test_a_sentence_of_only_checked_claims_is_judged_without_failing(evidence):
    verdict = verify_sentence("USD 12,345,678 [1].", evidence)
    assert verdict.kept and verdict.cited == (1,)
