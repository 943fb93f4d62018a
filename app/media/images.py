"""What an uploaded picture is, and every file served from it (with Pillow; see
bench/MEDIA.md for why Pillow and not libvips).

The bytes are looked at before anything is decoded: the type from the file's own
signature (never its name), the dimensions from its header (a decompression bomb is
refused before its pixels exist). What is served is made here, never the upload itself:
decoded, turned upright by its EXIF orientation, converted to sRGB, and encoded afresh
with no metadata at all (no EXIF, XMP, IPTC or comments: a photographer's GPS position
never leaves). The upload's own bytes are not kept.
"""

import base64
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, cast

from PIL import Image, ImageCms, ImageOps, ImageSequence, UnidentifiedImageError

# Pillow's own bomb check warns or raises at sizes of its choosing; ours is the setting
# (checked from the header, before decoding), so Pillow's is switched off.
Image.MAX_IMAGE_PIXELS = None

RenditionKind = Literal["original", "width", "crop"]


@dataclass(frozen=True)
class ImageType:
    name: str  # Pillow's format name, lowercase
    content_type: str
    label: str  # for messages: "a JPEG image"


ACCEPTED = {
    t.name: t
    for t in (
        ImageType("jpeg", "image/jpeg", "a JPEG image"),
        ImageType("png", "image/png", "a PNG image"),
        ImageType("gif", "image/gif", "a GIF image"),
        ImageType("webp", "image/webp", "a WebP image"),
        ImageType("avif", "image/avif", "an AVIF image"),
    )
}

# What a refused file was recognised as, by its first bytes.
_REFUSED_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document"),
    (b"\x7fELF", "an ELF executable"),
    (b"MZ", "a Windows executable"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"8BPS", "a Photoshop document"),
    (b"\x00\x00\x01\x00", "an icon file"),
)
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"}
# Markup anywhere in the bytes: a picture that is also a web page (a polyglot).
_MARKUP = re.compile(rb"<\s*(?:script|html|body|svg|iframe|object|embed|!doctype)\b", re.I)


class ImageRefused(Exception):
    """The file is not a picture Akhbar takes; ``status`` is what the API answers."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def sniff(head: bytes) -> ImageType:
    """The type of a file from its first bytes (at least 32 of them when it has them)."""
    if head.startswith(b"\xff\xd8\xff"):
        return ACCEPTED["jpeg"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ACCEPTED["png"]
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return ACCEPTED["gif"]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ACCEPTED["webp"]
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return ACCEPTED["avif"]
        if brand in _HEIF_BRANDS:
            raise ImageRefused(415, "the file is a HEIC/HEIF image: export it as JPEG first")
    raise ImageRefused(415, f"the file is {_describe(head)}: send a JPEG, PNG, WebP, GIF or AVIF")


def _describe(head: bytes) -> str:
    for signature, label in _REFUSED_SIGNATURES:
        if head.startswith(signature):
            return label
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<svg", b"<?xml")) and b"<svg" in head.lower():
        return "an SVG image"
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script")):
        return "an HTML document"
    if text.startswith(b"<?xml"):
        return "an XML document"
    if not head:
        return "empty"
    return "of a type not recognised"


@dataclass(frozen=True)
class Recipe:
    """What to make of a picture: the settings, and where its subject is."""

    widths: tuple[int, ...]
    crops: tuple[tuple[int, int], ...]  # aspect ratios, (16, 9)
    max_pixels: int
    focal_point: tuple[float, float] = (0.5, 0.5)


@dataclass(frozen=True)
class Rendition:
    kind: RenditionKind
    width: int
    height: int
    content_type: str
    data: bytes
    aspect: str | None = None  # a crop's ratio, "16:9"


@dataclass(frozen=True)
class Processed:
    type: ImageType
    width: int
    height: int
    animated: bool
    renditions: list[Rendition]
    placeholder: str  # a data: URI of a tiny WebP
    dominant_color: str  # "#a1b2c3"


def process(data: bytes, recipe: Recipe) -> Processed:
    """Every file a picture is served as: the original (cleaned), the widths and the crops.

    Raises ``ImageRefused`` (415 for what is not an accepted picture, 422 for one that is
    too large in pixels, truncated or corrupt, or that is also markup)."""
    kind = sniff(data[:32])
    if _MARKUP.search(data):
        raise ImageRefused(422, f"the file is {kind.label} that also holds markup (a polyglot)")
    with _opened(data, kind, recipe.max_pixels) as image:
        frames = getattr(image, "n_frames", 1)
        animated = kind.name in ("gif", "webp") and frames > 1
        if animated and frames * image.width * image.height > recipe.max_pixels:
            raise ImageRefused(
                422,
                f"the animation has {frames} frames of {image.width}×{image.height}: more "
                f"than the {recipe.max_pixels:,} pixels accepted in all",
            )
        original = animated_original(image, kind) if animated else None
        picture = _clean(image)
        family = _family(kind, picture)
        renditions = [original or _encode("original", picture, family)]
        working = _working_copy(picture, recipe)
        renditions += _widths(working, recipe.widths, family)
        renditions += _crops(working, recipe)
        return Processed(
            type=kind,
            width=picture.width,
            height=picture.height,
            animated=animated,
            renditions=renditions,
            placeholder=_placeholder(working),
            dominant_color=_dominant_color(working),
        )


def crops_of(original: bytes, recipe: Recipe) -> list[Rendition]:
    """The crops again, from the cleaned original: its focal point moved."""
    with _opened(original, sniff(original[:32]), recipe.max_pixels) as image:
        return _crops(_working_copy(_clean(image), recipe), recipe)


def _working_copy(picture: Image.Image, recipe: Recipe) -> Image.Image:
    """The picture made smaller by a whole factor (a fast box filter), as far as every
    width and crop can still be made from it without upscaling: the fine resampling then
    works on a few megapixels, not on all of them."""
    width, height = picture.size
    sources = [width] + [min(width, height * across / down) for across, down in recipe.crops]
    scale = max(min(source, max(recipe.widths)) / source for source in sources)
    factor = int(1 / scale)
    return picture.reduce(factor) if factor >= 2 else picture


@contextmanager
def _opened(data: bytes, kind: ImageType, max_pixels: int) -> Iterator[Image.Image]:
    """The image, its size checked from its header before its pixels are decoded."""
    try:
        image = Image.open(io.BytesIO(data), formats=[kind.name.upper()])
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageRefused(422, f"the file is not a readable {kind.name.upper()}") from exc
    with image:
        pixels = image.width * image.height
        if pixels > max_pixels:
            raise ImageRefused(
                422,
                f"the image is {image.width}×{image.height} ({pixels:,} pixels): more than "
                f"the {max_pixels:,} accepted",
            )
        try:
            image.load()
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ImageRefused(
                422, f"the file is {kind.label} that is truncated or corrupt"
            ) from exc
        yield image


def _clean(image: Image.Image) -> Image.Image:
    """The first frame, upright, 8 bits a channel, sRGB, RGB or RGBA, no metadata. Done
    in place where it can be (a 24-megapixel picture is 72 MB a copy)."""
    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)
    icc = image.info.get("icc_profile")
    ImageOps.exif_transpose(image, in_place=True)
    picture = _in_srgb(_eight_bit(image), icc)
    if picture.mode == "RGBA" and picture.getchannel("A").getextrema()[0] == 255:
        picture = picture.convert("RGB")
    picture.info = {}
    return picture


def _eight_bit(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16 bits (or 32) of grey: scaled to 8, not clipped at 255.
        scale = 1 / 256 if image.mode != "I" or image.getextrema()[1] > 255 else 1  # type: ignore[operator]
        return image.convert("I").point(lambda v: v * scale).convert("L")
    return image


def _in_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode in ("P", "L", "RGB") and "transparency" in image.info
    )
    mode = "RGBA" if alpha else "RGB"
    if icc and image.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            target = ImageCms.createProfile("sRGB")
            source_mode = image.mode
            converted = ImageCms.profileToProfile(
                image, source, target, outputMode="RGBA" if source_mode == "RGBA" else "RGB"
            )
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: the pixels as they are
    return image if image.mode == mode else image.convert(mode)


def _family(kind: ImageType, picture: Image.Image) -> ImageType:
    """What the widths are encoded in beside WebP: JPEG for photos, PNG for graphics."""
    if kind.name == "jpeg" or (kind.name in ("webp", "avif") and picture.mode == "RGB"):
        return ACCEPTED["jpeg"]
    return ACCEPTED["png"]


def _encode(
    kind: RenditionKind, picture: Image.Image, as_type: ImageType, aspect: str | None = None
) -> Rendition:
    out = io.BytesIO()
    if as_type.name == "jpeg":
        rgb = picture if picture.mode == "RGB" else picture.convert("RGB")
        rgb.save(out, "JPEG", quality=85, progressive=picture.width <= 2048)
    elif as_type.name == "png":
        picture.save(out, "PNG", compress_level=6)
    else:
        picture.save(out, "WEBP", quality=80, method=3)
    return Rendition(
        kind, picture.width, picture.height, as_type.content_type, out.getvalue(), aspect
    )


def _widths(picture: Image.Image, widths: tuple[int, ...], family: ImageType) -> list[Rendition]:
    made = []
    for resized in _cascade(picture, widths):
        made.append(_encode("width", resized, ACCEPTED["webp"]))
        made.append(_encode("width", resized, family))
    return made


def _crops(picture: Image.Image, recipe: Recipe) -> list[Rendition]:
    made = []
    for across, down in recipe.crops:
        box = _crop_box(picture.size, across / down, recipe.focal_point)
        for resized in _cascade(picture.crop(box), recipe.widths):
            made.append(_encode("crop", resized, ACCEPTED["webp"], f"{across}:{down}"))
    return made


def _cascade(picture: Image.Image, widths: tuple[int, ...]) -> Iterator[Image.Image]:
    """The picture at each of ``widths`` not above its own (never upscaled), largest
    first, each made from the one before (a 24-megapixel picture is resampled once); at
    its own width when it is narrower than all of them."""
    fitting = sorted((w for w in widths if w <= picture.width), reverse=True)
    source = picture
    for width in fitting or [picture.width]:
        if width != source.width:
            height = max(1, round(picture.height * width / picture.width))
            source = source.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        yield source


def _crop_box(
    size: tuple[int, int], ratio: float, focal: tuple[float, float]
) -> tuple[int, int, int, int]:
    """The largest box of ``ratio`` inside ``size``, centred on the focal point as far as
    the edges allow."""
    width, height = size
    if width / height > ratio:
        box_w, box_h = max(1, round(height * ratio)), height
    else:
        box_w, box_h = width, max(1, round(width / ratio))
    left = min(max(round(focal[0] * width - box_w / 2), 0), width - box_w)
    top = min(max(round(focal[1] * height - box_h / 2), 0), height - box_h)
    return left, top, left + box_w, top + box_h


def animated_original(image: Image.Image, kind: ImageType) -> Rendition:
    """An animation re-encoded frame by frame, in its own format, without its metadata
    (comments, XMP and other application blocks)."""
    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        durations.append(frame.info.get("duration", 100))
        converted = frame.convert("RGBA")
        converted.info = {}  # a comment, XMP: what the encoder would write out again
        frames.append(converted)
    out = io.BytesIO()
    frames[0].save(
        out,
        "GIF" if kind.name == "gif" else "WEBP",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=image.info.get("loop", 0),
        disposal=2,
    )
    image.seek(0)
    return Rendition("original", image.width, image.height, kind.content_type, out.getvalue())


def _placeholder(picture: Image.Image) -> str:
    """A WebP of at most 16 pixels a side, as a data: URI (a few hundred bytes), to show
    blurred while the picture loads."""
    tiny = _small(picture)
    tiny.thumbnail((16, 16), Image.Resampling.BOX)
    out = io.BytesIO()
    tiny.save(out, "WEBP", quality=40)
    return "data:image/webp;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _dominant_color(picture: Image.Image) -> str:
    """The commonest of five colours the picture reduces to, as #rrggbb."""
    small = _small(picture).convert("RGB")
    small.thumbnail((64, 64), Image.Resampling.BOX)
    palette_image = small.quantize(colors=5, method=Image.Quantize.MEDIANCUT)
    counts = cast(list[tuple[int, int]], palette_image.getcolors() or [(1, 0)])
    _count, index = max(counts)
    palette = palette_image.getpalette() or [0, 0, 0]
    red, green, blue = palette[index * 3 : index * 3 + 3]
    return f"#{red:02x}{green:02x}{blue:02x}"


def _small(picture: Image.Image) -> Image.Image:
    """A copy of about 128 pixels a side, made by a fast whole-factor reduction."""
    return picture.reduce(max(1, max(picture.size) // 128))
