"""Published identifiers the identifier tests share, and how they read an error's code."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ledger.domain.check_digits import (
    uscc_check_char,
)
from ledger.domain.identifiers import (
    IdentifierError,
    make_licence_identifier,
    make_uscc,
)

# Published USCCs; each passes both the GB 32100 and the GB 11714 check, which a random
# 18-char string does about once in 341 tries.
KNOWN_USCCS = [
    "91350100M000100Y43",  # the example quoted in most descriptions of GB 32100
    "91110000600037341L",  # python-stdnum's cn.uscc doctest
    "914403001922038216",  # Huawei Technologies Co., Ltd.
    "91440300708461136T",  # Shenzhen Tencent Computer Systems Co., Ltd.
    "91330100716105852F",  # Alibaba (China) Co., Ltd.
    "91110000802100433B",  # Beijing Baidu Netcom Science and Technology Co., Ltd.
]
CITIZEN_ID_EXAMPLE = "11010519491231002X"  # GB 11643-1999's worked example

AUTHORITY = make_uscc("11350100", "00300001")
TYPE_CODE = AUTHORITY + "001"
ISSUER = KNOWN_USCCS[0]
SAMPLE = make_licence_identifier(TYPE_CODE, ISSUER, "JY13501000012345", 1)
SAMPLE_TEXT = str(SAMPLE)
BAD_ORG = "91350100M000100Y5" + uscc_check_char("91350100M000100Y5")  # org check is '4'


def code_of(call: Callable[[], object]) -> str:
    with pytest.raises(IdentifierError) as info:
        call()
    assert info.value.message and str(info.value) == info.value.message
    return info.value.code
