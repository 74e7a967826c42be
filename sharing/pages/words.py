"""The plain words the pages use for statuses, actions and outcomes (zh-CN)."""

from __future__ import annotations

from ledger.domain.localtime import to_beijing
from licence_files.labels import STANDARD_LABELS
from sharing.public_status import STATUS_WORDS as PUBLIC_WORDS

# Licence status codes of the ledger (ledger.domain.licence) and the public page's status names.
STATUS_WORDS = {**PUBLIC_WORDS, "01": "有效", "02": "已暂停", "03": "已撤销", "04": "已注销",
                "05": "已过期", "06": "已迁出", "07": "已撤销", "99": "状态待核实"}
ACTION_WORDS = {"verify": "核验", "view": "查看", "download": "下载", "annotate": "加注",
                "public": "公开查询", "bulk": "批量读取", "verify_file": "文件核验",
                "holder_download": "持证人下载"}
OUTCOME_WORDS = {"allowed": "允许", "refused": "拒绝"}
_GOOD = {"valid", "01", "有效"}


def status_class(status: str) -> str:
    """The badge's CSS class: green for valid, red for every other status."""
    return "badge badge-ok" if status in _GOOD else "badge badge-bad"


def field_label(name: str) -> str:
    """The face's label for a field name (名称 for ``company_name``), else the name."""
    return STANDARD_LABELS.get(name, name)


def beijing(instant: object) -> str:
    """A recorded instant as Beijing time to the second; anything else as it is."""
    if not isinstance(instant, str) or "T" not in instant:
        return "—" if instant is None else str(instant)
    try:
        return to_beijing(instant).strftime("%Y-%m-%d %H:%M:%S") + "（北京时间）"
    except ValueError:
        return instant
