"""The demo's pictures, drawn here with Pillow (shapes and colours: nothing copied), so
that a fresh `make run` shows articles with pictures that load."""

import io
from collections.abc import Callable

from PIL import Image, ImageDraw

SIZE = (1600, 900)


def _hall(draw: ImageDraw.ImageDraw) -> None:
    """A conference hall: a long table, rows of chairs, flags on the wall."""
    draw.rectangle((0, 0, 1600, 900), fill=(74, 58, 52))
    draw.rectangle((0, 0, 1600, 380), fill=(196, 180, 150))
    for x, colour in ((420, (200, 30, 45)), (720, (20, 120, 70)), (1020, (30, 60, 160))):
        draw.rectangle((x, 90, x + 160, 200), fill=colour)
    draw.rounded_rectangle((180, 430, 1420, 560), radius=60, fill=(120, 82, 50))
    for row, y in enumerate((620, 720, 820)):
        for x in range(120 + row * 20, 1480, 110):
            draw.rounded_rectangle((x, y, x + 70, y + 60), radius=12, fill=(40, 40, 48))


def _solar(draw: ImageDraw.ImageDraw) -> None:
    """A solar plant: sun over the desert, rows of panels."""
    draw.rectangle((0, 0, 1600, 900), fill=(120, 180, 230))
    draw.ellipse((1180, 80, 1360, 260), fill=(255, 214, 90))
    draw.rectangle((0, 430, 1600, 900), fill=(222, 184, 120))
    for row, y in enumerate(range(480, 880, 95)):
        for x in range(-60 + row * 30, 1600, 170):
            draw.polygon(
                [(x, y + 60), (x + 140, y + 60), (x + 160, y), (x + 20, y)], fill=(30, 50, 110)
            )
            draw.line([(x + 80, y), (x + 70, y + 60)], fill=(150, 170, 210), width=3)


def _books(draw: ImageDraw.ImageDraw) -> None:
    """A book fair: shelves of coloured spines."""
    draw.rectangle((0, 0, 1600, 900), fill=(244, 236, 220))
    palette = [(176, 58, 46), (36, 113, 163), (212, 172, 13), (40, 116, 66), (125, 60, 152)]
    for shelf, y in enumerate((80, 360, 640)):
        draw.rectangle((60, y + 220, 1540, y + 240), fill=(110, 76, 44))
        x = 80 + shelf * 15
        n = 0
        while x < 1500:
            width = 38 + (n * 17) % 40
            height = 150 + (n * 31) % 70
            draw.rectangle((x, y + 220 - height, x + width, y + 220), fill=palette[n % 5])
            x += width + 6
            n += 1


PICTURES: dict[str, Callable[[ImageDraw.ImageDraw], None]] = {
    "hall": _hall,
    "solar": _solar,
    "books": _books,
}


def draw(name: str) -> bytes:
    """The named picture as a JPEG."""
    image = Image.new("RGB", SIZE)
    PICTURES[name](ImageDraw.Draw(image))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()
