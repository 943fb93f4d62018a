"""The media library as the API shows it."""

from dataclasses import dataclass
from typing import Annotated, Any, Literal, Self

from fastapi import UploadFile
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from app.core.fields import AltText, Excerpt, Name
from app.core.pagination import Page
from app.models.media import Media, file_url

PLACEHOLDER_EXAMPLE = "data:image/webp;base64,UklGRkAAAABXRUJQVlA4IDQAAADwAQCdASoQAAsAAUAmJZQAAp0="
Coordinate = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class FocalPoint(BaseModel):
    """Where the subject is, from the top left (0, 0) to the bottom right (1, 1): crops
    keep it in view."""

    model_config = ConfigDict(extra="forbid")

    x: Coordinate = Field(examples=[0.5])
    y: Coordinate = Field(examples=[0.35])


class MediaFile(BaseModel):
    """One file a picture is served as."""

    kind: Literal["original", "width", "crop"] = Field(
        description="`original`: the whole picture at its own size (cleaned: upright, sRGB, "
        "no metadata); `width`: resized to one of the configured widths; `crop`: cut to "
        "`aspect` around the focal point, then resized."
    )
    url: str = Field(examples=["/media/12/5f0c9a1e2b7d4c3a8e61-640x427.webp"])
    width: int = Field(examples=[640])
    height: int = Field(examples=[427])
    bytes: int = Field(examples=[48213])
    content_type: str = Field(examples=["image/webp"])
    aspect: str | None = Field(None, examples=["16:9"], description="A crop's aspect ratio.")


class MediaPublic(BaseModel):
    """A picture in the library, with every file it is served as."""

    id: int = Field(examples=[12])
    url: str = Field(
        description="The original (cleaned) file.",
        examples=["/media/12/9b2e7c4d1a0f6e3b5c88-4000x2667.jpg"],
    )
    content_type: str = Field(examples=["image/jpeg"])
    format: str = Field(examples=["jpeg"], description="What was uploaded.")
    width: int = Field(examples=[4000])
    height: int = Field(examples=[2667])
    bytes: int = Field(examples=[2_811_034], description="The original file's size.")
    animated: bool = Field(examples=[False])
    alt: str = Field(examples=["سوق المدينة القديمة في حلب صباحاً"])
    caption: str | None = Field(examples=["الباعة يعودون إلى السوق بعد الترميم"])
    credit: str | None = Field(examples=["تصوير: ليلى حدّاد"])
    focal_point: FocalPoint
    placeholder: str = Field(
        description="A tiny WebP as a data: URI (a few hundred bytes): show it blurred "
        "while the picture loads.",
        examples=[PLACEHOLDER_EXAMPLE],
    )
    dominant_color: str = Field(examples=["#8a6f4d"])
    renditions: list[MediaFile]
    created_at: AwareDatetime = Field(examples=["2026-11-28T09:30:00Z"])
    updated_at: AwareDatetime = Field(examples=["2026-11-28T09:30:00Z"])


class MediaEmbed(BaseModel):
    """A picture of the library as another resource shows it (an author's avatar)."""

    media_id: int = Field(examples=[12])
    url: str = Field(examples=["/media/12/9b2e7c4d1a0f6e3b5c88-800x800.jpg"])
    alt: str = Field(examples=["صورة سلمى الخطيب"])
    width: int = Field(examples=[800])
    height: int = Field(examples=[800])
    renditions: list[MediaFile]
    placeholder: str = Field(examples=[PLACEHOLDER_EXAMPLE])
    dominant_color: str = Field(examples=["#8a6f4d"])


@dataclass(frozen=True, slots=True)
class PictureRow:
    """A picture as a lean read selects it, without the ORM (app.articles.reads): what an
    answer embeds of it."""

    id: int
    files: list[dict[str, Any]]
    alt: str
    caption: str | None
    credit: str | None
    width: int
    height: int
    placeholder: str
    dominant_color: str

    @property
    def original(self) -> dict[str, Any]:
        return self.files[0]


# A picture an answer embeds: a row of the media table, loaded or selected.
Picture = Media | PictureRow


def media_embed(media: Picture) -> MediaEmbed:
    assert media.id is not None
    return MediaEmbed(
        media_id=media.id,
        url=file_url(media.original["key"]),
        alt=media.alt,
        width=media.width,
        height=media.height,
        renditions=media_files(media),
        placeholder=media.placeholder,
        dominant_color=media.dominant_color,
    )


class MediaPage(Page[MediaPublic]):
    pass


class MediaUpload(BaseModel):
    """The form of an upload (multipart/form-data)."""

    model_config = ConfigDict(extra="forbid")

    file: UploadFile = Field(
        description="The picture: JPEG, PNG, WebP, GIF or AVIF. Its type is read from its "
        "bytes, never from its name."
    )
    alt: AltText = Field(
        description="What the picture shows, for readers who cannot see it.",
        examples=["سوق المدينة القديمة في حلب صباحاً"],
    )
    caption: Excerpt | None = Field(None, examples=["الباعة يعودون إلى السوق بعد الترميم"])
    credit: Name | None = Field(None, examples=["تصوير: ليلى حدّاد"])
    focal_point: str | None = Field(
        None,
        pattern=r"^\s*(0(\.[0-9]+)?|1(\.0+)?)\s*,\s*(0(\.[0-9]+)?|1(\.0+)?)\s*$",
        max_length=50,
        description="`x,y`, each from 0 to 1 (from the top left): where the subject is.",
        examples=["0.5,0.35"],
    )

    def focal(self) -> FocalPoint | None:
        if self.focal_point is None:
            return None
        x, y = (float(part) for part in self.focal_point.split(","))
        return FocalPoint(x=x, y=y)


class MediaUpdate(BaseModel):
    """A partial update: only the fields sent change. A new focal point makes new crops."""

    model_config = ConfigDict(extra="forbid")

    alt: AltText | None = None
    caption: Excerpt | None = None
    credit: Name | None = None
    focal_point: FocalPoint | None = None

    @model_validator(mode="after")
    def _alt_and_focal_point_are_not_null(self) -> Self:
        nulls = {"alt", "focal_point"} & {
            name for name in self.model_fields_set if getattr(self, name) is None
        }
        if nulls:
            raise ValueError(f"cannot be null: {', '.join(sorted(nulls))}")
        return self


def media_files(media: Picture) -> list[MediaFile]:
    return [
        MediaFile(
            kind=f["kind"],
            url=file_url(f["key"]),
            width=f["width"],
            height=f["height"],
            bytes=f["bytes"],
            content_type=f["content_type"],
            aspect=f.get("aspect"),
        )
        for f in media.files
    ]


def media_public(media: Media) -> MediaPublic:
    files = media_files(media)
    original = files[0]
    assert media.id is not None
    return MediaPublic(
        id=media.id,
        url=original.url,
        content_type=original.content_type,
        format=media.format,
        width=media.width,
        height=media.height,
        bytes=original.bytes,
        animated=media.animated,
        alt=media.alt,
        caption=media.caption,
        credit=media.credit,
        focal_point=FocalPoint(x=media.focal_x, y=media.focal_y),
        placeholder=media.placeholder,
        dominant_color=media.dominant_color,
        renditions=files,
        created_at=media.created_at,
        updated_at=media.updated_at,
    )
