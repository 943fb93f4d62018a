"""Pictures for the tests, drawn by Pillow: ordinary ones, and the hostile files an
upload must survive."""

import io
import struct
import zlib

from PIL import Image, ImageDraw

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def drawing(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """Shapes and colours, different in each quarter (so a rotation shows)."""
    image = Image.new("RGB", (width, height), (30, 90, 160))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 2, height // 2), fill=(220, 60, 40))
    draw.ellipse((width // 2, height // 2, width - 1, height - 1), fill=(250, 210, 60))
    draw.line((0, height - 1, width - 1, 0), fill=(255, 255, 255), width=max(1, width // 50))
    return image.convert(mode) if mode != "RGB" else image


def encode(image: Image.Image, format_: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format_, **options)
    return out.getvalue()


def jpeg(width: int = 1600, height: int = 1200, **options: object) -> bytes:
    return encode(drawing(width, height), "JPEG", quality=90, **options)


def png(width: int = 800, height: int = 600) -> bytes:
    return encode(drawing(width, height), "PNG")


def jpeg_with_gps(width: int = 1600, height: int = 1200, orientation: int = 1) -> bytes:
    """A photo that says where it was taken (a GPS position, a camera, a comment), and
    which way up it is to be shown."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "AkhbarCam"  # Make
    exif[0x0110] = "Model 7"
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (36.0, 12.0, 0.0)
    gps[3] = "E"
    gps[4] = (37.0, 9.0, 0.0)
    return encode(
        drawing(width, height),
        "JPEG",
        quality=90,
        exif=exif.tobytes(),
        comment=b"secret location",
    )


def cmyk_jpeg(width: int = 640, height: int = 480) -> bytes:
    return encode(drawing(width, height).convert("CMYK"), "JPEG", quality=90)


def sixteen_bit_png(width: int = 400, height: int = 300) -> bytes:
    """Grey in 16 bits: a ramp from 0 to 65535."""
    image = Image.new("I;16", (width, height))
    image.putdata([round(x / (width - 1) * 65535) for _y in range(height) for x in range(width)])
    return encode(image, "PNG")


def animated_gif(width: int = 120, height: int = 90, frames: int = 4) -> bytes:
    images = [Image.new("RGB", (width, height), (40 * i, 200 - 40 * i, 90)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(
        out,
        "GIF",
        save_all=True,
        append_images=images[1:],
        duration=120,
        loop=0,
        comment=b"made by a tool that remembers you",
    )
    return out.getvalue()


def truncated_jpeg() -> bytes:
    data = jpeg(800, 600)
    return data[: len(data) // 2]


def polyglot() -> bytes:
    """A JPEG that is also a web page: browsers sniffing it find the markup."""
    return jpeg(200, 150) + b"<html><body><script>alert(document.cookie)</script></body></html>"


SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body>not a picture</body></html>"
EXECUTABLE = b"\x7fELF\x02\x01\x01\x00" + bytes(56)
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` × ``height`` and holds one row of data: a decoder that
    trusted the header would allocate width × height pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey
    data = zlib.compress(b"\x00" + bytes(min(width, 1000)))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )


def decompression_bomb(side: int = 10_000) -> bytes:
    """A small file (about 100 KB) that decodes to ``side`` × ``side`` pixels of black."""
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    packer = zlib.compressobj(9)
    row = bytes(side + 1)  # filter byte, then the row
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )
