"""Real workbooks for the file tests, written by openpyxl, and the few things openpyxl cannot
write made the way Excel makes them: a formula's saved value, an encrypted workbook."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import openpyxl
from openpyxl.utils.datetime import CALENDAR_MAC_1904

HEADER = ("Name", "Preferred Name", "Employee Id", "Email", "Start Date", "Manager Email")


def workbook(
    rows: Iterable[Sequence[Any]],
    *,
    title: str = "Employees",
    more_sheets: Mapping[str, Iterable[Sequence[Any]]] | None = None,
    hidden: Iterable[str] = (),
    epoch_1904: bool = False,
) -> bytes:
    """A workbook whose first sheet holds `rows` (None cells are empty; an empty row is [])."""
    book = openpyxl.Workbook()
    if epoch_1904:
        book.epoch = CALENDAR_MAC_1904
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    for name, more in (more_sheets or {}).items():
        other = book.create_sheet(name)
        for row in more:
            other.append(list(row))
    for name in hidden:
        book[name].sheet_state = "hidden"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_saved_values(data: bytes, values: Mapping[str, str]) -> bytes:
    """The workbook with its formula cells' saved values filled in, as Excel saves them
    (openpyxl writes a formula with an empty `<v />`): `values` by cell, text results."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                text = body.decode()
                for cell, value in values.items():
                    text = re.sub(
                        rf'<c r="{cell}"([^>]*)><f>(.*?)</f><v\s*/>',
                        rf'<c r="{cell}"\1 t="str"><f>\2</f><v>{value}</v>',
                        text,
                    )
                body = text.encode()
            target.writestr(item, body)
    return out.getvalue()


SECTOR = 512
FREE, END, FAT_SECTOR = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


def encrypted_workbook() -> bytes:
    """What Excel writes for a workbook saved with a password: not a ZIP but an OLE compound
    file (magic D0 CF 11 E0 A1 B1 1A E1) holding the streams 'EncryptionInfo' and
    'EncryptedPackage' (MS-OFFCRYPTO). A minimal, well-formed one: header, one FAT sector, one
    directory sector; the streams' contents are not needed to tell it is encrypted."""
    header = bytearray(SECTOR)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)  # version 3, 512-byte sectors
    struct.pack_into("<I", header, 44, 1)  # one FAT sector
    struct.pack_into("<I", header, 48, 1)  # the directory starts at sector 1
    struct.pack_into("<I", header, 56, 4096)  # the mini stream cutoff
    struct.pack_into("<IIII", header, 60, END, 0, END, 0)  # no mini FAT, no DIFAT sectors
    struct.pack_into("<I", header, 76, 0)  # DIFAT[0]: the FAT is sector 0
    for i in range(1, 109):
        struct.pack_into("<I", header, 76 + 4 * i, FREE)
    fat = bytearray(SECTOR)
    struct.pack_into("<II", fat, 0, FAT_SECTOR, END)
    for i in range(2, SECTOR // 4):
        struct.pack_into("<I", fat, 4 * i, FREE)
    directory = b"".join(
        (
            _entry("Root Entry", 5, child=1),
            _entry("EncryptionInfo", 2, right=2),
            _entry("EncryptedPackage", 2),
            _entry("", 0),
        )
    )
    return bytes(header) + bytes(fat) + directory


def _entry(name: str, kind: int, *, child: int = FREE, right: int = FREE) -> bytes:
    entry = bytearray(128)
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    entry[0 : len(encoded)] = encoded
    struct.pack_into("<HBB", entry, 64, len(encoded), kind, 1)
    struct.pack_into("<III", entry, 68, FREE, right, child)
    struct.pack_into("<II", entry, 116, END, 0)
    return bytes(entry)


def legacy_xls() -> bytes:
    """An OLE compound file without encryption streams, as an Excel 97-2003 .xls is."""
    data = bytearray(encrypted_workbook())
    for name in ("EncryptionInfo", "EncryptedPackage"):
        encoded = name.encode("utf-16-le")
        at = data.index(encoded)
        data[at : at + len(encoded)] = "Workbook".ljust(len(name), "\0").encode("utf-16-le")
    return bytes(data)
