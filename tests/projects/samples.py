"""Small but genuine sample documents, built in memory: PDF, DOCX, XLSX, HWPX and HWP.

Each builder returns the bytes of a file that the real applications (and projects.documents)
accept: a PDF with a correct cross-reference table, OOXML and HWPX packages with the members
that identify them, and HWP as an OLE compound file (CFB version 3) written by hand, small
streams in the mini stream as the specification requires.
"""

import io
import struct
import zipfile

from openpyxl import Workbook

from projects.demo import pdf_bytes  # noqa: F401 - one sample PDF, the demo's

_ZIP_DATE = (2025, 3, 1, 9, 0, 0)


def zip_bytes(members: dict[str, bytes]) -> bytes:
    """A ZIP of these members, in this order; ``mimetype`` stored uncompressed, as packages do."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


_XML = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def docx_bytes() -> bytes:
    """A Word document of one paragraph."""
    return zip_bytes(
        {
            "[Content_Types].xml": _XML
            + b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            b'<Default Extension="xml" ContentType="application/xml"/>'
            b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            b"</Types>",
            "_rels/.rels": _XML
            + b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
            b"</Relationships>",
            "word/document.xml": _XML
            + '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            "<w:body><w:p><w:r><w:t>사업계획서</w:t></w:r></w:p></w:body></w:document>".encode(),
        }
    )


def xlsx_bytes() -> bytes:
    """An Excel workbook of one sheet with a heading and an amount."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "사업비"
    sheet.append(["항목", "금액"])
    sheet.append(["인건비", 50_000_000])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def hwpx_bytes() -> bytes:
    """A Hangul (HWPX / OWPML) document of one paragraph."""
    return zip_bytes(
        {
            "mimetype": b"application/hwp+zip",
            "version.xml": _XML + b'<hv:HCFVersion xmlns:hv="http://www.hancom.co.kr/hwpml/2011/version" '
            b'targetApplication="WORDPROCESSOR" major="5" minor="1" micro="0" buildNumber="1"/>',
            "META-INF/container.xml": _XML
            + b'<ocf:container xmlns:ocf="urn:oasis:names:tc:opendocument:xmlns:container">'
            b'<ocf:rootfiles><ocf:rootfile full-path="Contents/content.hpf" media-type="application/hwpml-package+xml"/>'
            b"</ocf:rootfiles></ocf:container>",
            "Contents/content.hpf": _XML
            + b'<opf:package xmlns:opf="http://www.idpf.org/2007/opf/"><opf:manifest>'
            b'<opf:item id="section0" href="Contents/section0.xml" media-type="application/xml"/>'
            b'</opf:manifest><opf:spine><opf:itemref idref="section0"/></opf:spine></opf:package>',
            "Contents/section0.xml": _XML
            + '<hs:sec xmlns:hs="http://www.hancom.co.kr/hwpml/2011/section" '
            'xmlns:hp="http://www.hancom.co.kr/hwpml/2011/paragraph">'
            "<hp:p><hp:run><hp:t>사업계획서</hp:t></hp:run></hp:p></hs:sec>".encode(),
        }
    )


def hwp_header_stream() -> bytes:
    """An HWP 5.0 ``FileHeader`` stream: signature, version 5.0.3.0, no compression or password."""
    return b"HWP Document File".ljust(32, b"\0") + struct.pack("<II", 0x05000300, 0) + bytes(216)


def hwp_bytes() -> bytes:
    """A Hangul 5 (HWP) document: FileHeader, DocInfo and one body section, as Hangul lays them out."""
    return ole_bytes(["FileHeader", "DocInfo", "BodyText/Section0"])


def ole_bytes(stream_names: list[str]) -> bytes:
    """An OLE compound file with these streams ("Storage/Stream" nests one in a storage).

    A ``FileHeader`` stream gets HWP's header; other streams a short text. ``["WordDocument"]``
    makes something like a legacy .doc: an OLE file that is not HWP.
    """
    return compound_file_bytes(
        {
            name: hwp_header_stream() if name == "FileHeader" else f"{name} sample stream".encode()
            for name in stream_names
        }
    )


# --- Compound File Binary format, version 3 ([MS-CFB]) ---------------------------------------

_SECTOR = 512
_MINI_SECTOR = 64
_MINI_STREAM_CUTOFF = 4096
_ENTRIES_PER_SECTOR = _SECTOR // 128
_IDS_PER_SECTOR = _SECTOR // 4
_FREESECT = 0xFFFFFFFF
_ENDOFCHAIN = 0xFFFFFFFE
_FATSECT = 0xFFFFFFFD
_NOSTREAM = 0xFFFFFFFF
_STORAGE, _STREAM, _ROOT = 1, 2, 5
_BLACK = 1


class _Entry:
    def __init__(self, name, kind, data=b""):
        self.name, self.kind, self.data = name, kind, data
        self.children = {}
        self.left = self.right = self.child = _NOSTREAM
        self.start, self.size = _ENDOFCHAIN, 0


def _sectors(length, unit):
    return -(-length // unit)


def _chain(table, start, count):
    for index in range(start, start + count):
        table[index] = index + 1 if index < start + count - 1 else _ENDOFCHAIN


def compound_file_bytes(streams: dict[str, bytes]) -> bytes:
    """An OLE compound file (CFB v3, 512-byte sectors) holding these streams.

    Paths may contain "/" to place a stream in a storage. Streams under 4096 bytes live in the
    mini stream (64-byte mini sectors, chained by the MiniFAT); larger ones in regular sectors.
    Each storage's children form a binary search tree of black nodes, which [MS-CFB] allows.
    """
    root = _Entry("Root Entry", _ROOT)
    for path, data in streams.items():
        *storages, leaf = path.split("/")
        parent = root
        for storage in storages:
            parent = parent.children.setdefault(storage, _Entry(storage, _STORAGE))
        parent.children[leaf] = _Entry(leaf, _STREAM, bytes(data))

    entries = []

    def collect(entry):
        entries.append(entry)
        for child in entry.children.values():
            collect(child)

    collect(root)
    ids = {id(entry): number for number, entry in enumerate(entries)}

    def balanced(siblings):
        if not siblings:
            return _NOSTREAM
        middle = len(siblings) // 2
        entry = siblings[middle]
        entry.left = balanced(siblings[:middle])
        entry.right = balanced(siblings[middle + 1 :])
        return ids[id(entry)]

    for entry in entries:
        # Directory order: shorter names first, then by upper-cased name.
        ordered = sorted(entry.children.values(), key=lambda child: (len(child.name), child.name.upper()))
        entry.child = balanced(ordered)

    small = [
        entry for entry in entries if entry.kind == _STREAM and 0 < len(entry.data) < _MINI_STREAM_CUTOFF
    ]
    large = [entry for entry in entries if entry.kind == _STREAM and len(entry.data) >= _MINI_STREAM_CUTOFF]

    mini_stream = bytearray()
    mini_fat = []
    for entry in small:
        first, count = len(mini_stream) // _MINI_SECTOR, _sectors(len(entry.data), _MINI_SECTOR)
        entry.start, entry.size = first, len(entry.data)
        mini_stream += entry.data.ljust(count * _MINI_SECTOR, b"\0")
        mini_fat += [0] * count
        _chain(mini_fat, first, count)

    directory_sectors = _sectors(len(entries), _ENTRIES_PER_SECTOR)
    mini_fat_sectors = _sectors(len(mini_fat), _IDS_PER_SECTOR)
    mini_stream_sectors = _sectors(len(mini_stream), _SECTOR)
    large_sectors = [_sectors(len(entry.data), _SECTOR) for entry in large]
    content_sectors = directory_sectors + mini_fat_sectors + mini_stream_sectors + sum(large_sectors)
    fat_sectors = 1
    while fat_sectors * _IDS_PER_SECTOR < fat_sectors + content_sectors:
        fat_sectors += 1
    if fat_sectors > 109:
        raise ValueError("sample compound files are limited to what the header's DIFAT can address")

    fat = [_FREESECT] * (fat_sectors * _IDS_PER_SECTOR)
    for index in range(fat_sectors):
        fat[index] = _FATSECT
    next_sector = fat_sectors

    def allocate(count):
        nonlocal next_sector
        if count == 0:
            return _ENDOFCHAIN
        first = next_sector
        _chain(fat, first, count)
        next_sector += count
        return first

    first_directory = allocate(directory_sectors)
    first_mini_fat = allocate(mini_fat_sectors)
    root.start, root.size = allocate(mini_stream_sectors), len(mini_stream)
    for entry, count in zip(large, large_sectors, strict=True):
        entry.start, entry.size = allocate(count), len(entry.data)

    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        bytes(16),  # CLSID
        0x003E,  # minor version
        0x0003,  # major version 3: 512-byte sectors
        0xFFFE,  # byte order: little-endian
        9,  # sector shift: 2**9 = 512
        6,  # mini sector shift: 2**6 = 64
        bytes(6),
        0,  # number of directory sectors (always 0 in version 3)
        fat_sectors,
        first_directory,
        0,  # transaction signature
        _MINI_STREAM_CUTOFF,
        first_mini_fat if mini_fat_sectors else _ENDOFCHAIN,
        mini_fat_sectors,
        _ENDOFCHAIN,  # first DIFAT sector: none needed
        0,  # number of DIFAT sectors
    )
    header += struct.pack("<109I", *range(fat_sectors), *([_FREESECT] * (109 - fat_sectors)))

    directory = bytearray()
    for entry in entries:
        name = (entry.name + "\0").encode("utf-16-le")
        if len(name) > 64:
            raise ValueError(f"compound file names are at most 31 characters: {entry.name!r}")
        directory += struct.pack(
            "<64sHBBIII16sIQQIQ",
            name,
            len(name),
            entry.kind,
            _BLACK,
            entry.left,
            entry.right,
            entry.child,
            bytes(16),  # CLSID
            0,  # state bits
            0,  # creation time
            0,  # modification time
            entry.start if entry.kind != _STORAGE else 0,
            entry.size,
        )
    unused = struct.pack(
        "<64sHBBIII16sIQQIQ", b"", 0, 0, 0, _NOSTREAM, _NOSTREAM, _NOSTREAM, bytes(16), 0, 0, 0, 0, 0
    )
    directory += unused * (directory_sectors * _ENTRIES_PER_SECTOR - len(entries))

    mini_fat_table = mini_fat + [_FREESECT] * (mini_fat_sectors * _IDS_PER_SECTOR - len(mini_fat))
    body = bytearray(struct.pack(f"<{len(fat)}I", *fat))
    body += directory
    body += struct.pack(f"<{len(mini_fat_table)}I", *mini_fat_table)
    body += mini_stream.ljust(mini_stream_sectors * _SECTOR, b"\0")
    for entry, count in zip(large, large_sectors, strict=True):
        body += entry.data.ljust(count * _SECTOR, b"\0")
    return bytes(header) + bytes(body)
