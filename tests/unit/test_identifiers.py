import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import ean

from kilowatt.core.identifiers import (
    InvalidIdentifier,
    eic_validate,
    gsrn18_with_check_digit,
    nip_validate,
    pesel_validate,
    postal_code_pl_validate,
    ppe_pl_validate,
    ppg_pl_validate,
    regon_validate,
)


@given(st.text(alphabet="0123456789", min_size=14, max_size=14))
def test_every_generated_ppe_is_accepted_and_any_other_check_digit_refused(body):
    code = gsrn18_with_check_digit("590" + body)
    assert ppe_pl_validate(code) == code
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    with pytest.raises(InvalidIdentifier, match="check digit"):
        ppe_pl_validate(wrong)


def test_gsrn_check_digit_matches_gs1_weights():
    # 17 data digits weighted 3,1,3,… from the right; check = (10 - sum mod 10) mod 10
    data = "59054350000000001"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(data)))
    assert gsrn18_with_check_digit(data)[-1] == str((10 - total % 10) % 10) == ean.calc_check_digit(data)


def test_ppe_messages_say_what_is_wrong():
    with pytest.raises(InvalidIdentifier, match="18 digits"):
        ppe_pl_validate("59054350000")
    with pytest.raises(InvalidIdentifier, match="590"):
        ppe_pl_validate(gsrn18_with_check_digit("12345678901234567"))


def test_ppg_is_8018_and_a_gsrn():
    code = "8018" + gsrn18_with_check_digit("59036550000000123")
    assert ppg_pl_validate(code) == code
    with pytest.raises(InvalidIdentifier):
        ppg_pl_validate("9018" + code[4:])
    with pytest.raises(InvalidIdentifier):
        ppg_pl_validate(code[:-1] + str((int(code[-1]) + 1) % 10))


def test_polish_business_and_person_numbers():
    assert nip_validate("526-025-02-74") == "5260250274"
    with pytest.raises(InvalidIdentifier, match="check digit"):
        nip_validate("5260250275")
    assert pesel_validate("44051401359") == "44051401359"
    with pytest.raises(InvalidIdentifier):
        pesel_validate("44051401358")
    assert regon_validate("192598184") == "192598184"
    with pytest.raises(InvalidIdentifier):
        regon_validate("192598185")


def test_postal_code_and_eic():
    assert postal_code_pl_validate("00-950") == "00-950"
    assert postal_code_pl_validate("00950") == "00-950"
    with pytest.raises(InvalidIdentifier, match="00-950"):
        postal_code_pl_validate("0-0950")
    assert eic_validate("10YPL-AREA-----S") == "10YPL-AREA-----S"
    with pytest.raises(InvalidIdentifier):
        eic_validate("10YPL-AREA-----X")
