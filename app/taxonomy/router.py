"""Categories, tags and authors: the same five routes for each, written out. Reads are
public; writes need a token with `taxonomy:write`."""

from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response, status

from app.auth.deps import TaxonomyEditor
from app.core.errors import problem_responses
from app.core.pagination import Page, PageQuery, PageQueryDep, build_page
from app.http.cache import cache_for, tag
from app.http.deps import SessionDep
from app.http.routing import JsonRoute
from app.models import Author, Category, Tag
from app.models.taxonomy import TaxonomyTerm
from app.taxonomy import service
from app.taxonomy.schemas import (
    AuthorCreate,
    AuthorPage,
    AuthorPublic,
    AuthorUpdate,
    CategoryPage,
    CategoryPublic,
    TagPage,
    TagPublic,
    TermCreate,
    TermRef,
    TermUpdate,
)

router = APIRouter(route_class=JsonRoute, prefix="/v1")

TermSlug = Annotated[
    str, Path(max_length=600, description="Slug, raw or percent-encoded.", examples=["سياسة"])
]
PageT = TypeVar("PageT", bound=Page[Any])
# Categories


@router.get(
    "/categories",
    tags=["categories"],
    summary="List categories",
    description="Every category, in the order they were created, a page at a time.",
    response_model=CategoryPage,
    responses=problem_responses(422),
    dependencies=[cache_for("taxonomy")],
)
def list_categories(
    request: Request, response: Response, session: SessionDep, page: PageQueryDep
) -> CategoryPage:
    return _list_page(Category, CategoryPage, CategoryPublic, request, response, session, page)


@router.get(
    "/categories/{slug}",
    tags=["categories"],
    summary="Get a category",
    description="One category by its slug; an unknown slug is a 404.",
    response_model=CategoryPublic,
    responses=problem_responses(404, 422),
    dependencies=[cache_for("taxonomy")],
)
def get_category(response: Response, session: SessionDep, slug: TermSlug) -> CategoryPublic:
    return CategoryPublic.model_validate(_get(response, session, Category, slug))


@router.post(
    "/categories",
    tags=["categories"],
    summary="Create a category",
    description="A new category; the slug, when not given, comes from the name. "
    "Needs a token with `taxonomy:write`.",
    status_code=status.HTTP_201_CREATED,
    response_model=CategoryPublic,
    responses=problem_responses(401, 403, 409, 422),
)
def create_category(
    data: TermCreate, response: Response, session: SessionDep, _editor: TaxonomyEditor
) -> CategoryPublic:
    return CategoryPublic.model_validate(_create(response, session, Category, data))


@router.patch(
    "/categories/{slug}",
    tags=["categories"],
    summary="Update a category",
    description="Change the fields sent. Articles that embed the category get a new "
    "version (and ETag). Needs a token with `taxonomy:write`.",
    response_model=CategoryPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def update_category(
    slug: TermSlug, data: TermUpdate, session: SessionDep, _editor: TaxonomyEditor
) -> CategoryPublic:
    return CategoryPublic.model_validate(service.update_term(session, Category, slug, data))


@router.delete(
    "/categories/{slug}",
    tags=["categories"],
    summary="Delete a category",
    description="A category that articles use is refused with 409 unless "
    "`detach=true`. Needs a token with `taxonomy:write`.",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def delete_category(
    slug: TermSlug,
    session: SessionDep,
    _editor: TaxonomyEditor,
    detach: Annotated[
        bool, Query(description="Remove the category from the articles that use it first.")
    ] = False,
) -> None:
    service.delete_term(session, Category, slug, detach=detach)


# Tags


@router.get(
    "/tags",
    tags=["tags"],
    summary="List tags",
    description="Every tag, in the order they were created, a page at a time.",
    response_model=TagPage,
    responses=problem_responses(422),
    dependencies=[cache_for("taxonomy")],
)
def list_tags(
    request: Request, response: Response, session: SessionDep, page: PageQueryDep
) -> TagPage:
    return _list_page(Tag, TagPage, TagPublic, request, response, session, page)


@router.get(
    "/tags/{slug}",
    tags=["tags"],
    summary="Get a tag",
    description="One tag by its slug; an unknown slug is a 404.",
    response_model=TagPublic,
    responses=problem_responses(404, 422),
    dependencies=[cache_for("taxonomy")],
)
def get_tag(response: Response, session: SessionDep, slug: TermSlug) -> TagPublic:
    return TagPublic.model_validate(_get(response, session, Tag, slug))


@router.post(
    "/tags",
    tags=["tags"],
    summary="Create a tag",
    description="A new tag; the slug, when not given, comes from the name. "
    "Needs a token with `taxonomy:write`.",
    status_code=status.HTTP_201_CREATED,
    response_model=TagPublic,
    responses=problem_responses(401, 403, 409, 422),
)
def create_tag(
    data: TermCreate, response: Response, session: SessionDep, _editor: TaxonomyEditor
) -> TagPublic:
    return TagPublic.model_validate(_create(response, session, Tag, data))


@router.patch(
    "/tags/{slug}",
    tags=["tags"],
    summary="Update a tag",
    description="Change the fields sent. Articles that embed the tag get a new "
    "version (and ETag). Needs a token with `taxonomy:write`.",
    response_model=TagPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def update_tag(
    slug: TermSlug, data: TermUpdate, session: SessionDep, _editor: TaxonomyEditor
) -> TagPublic:
    return TagPublic.model_validate(service.update_term(session, Tag, slug, data))


@router.delete(
    "/tags/{slug}",
    tags=["tags"],
    summary="Delete a tag",
    description="A tag that articles use is refused with 409 unless "
    "`detach=true`. Needs a token with `taxonomy:write`.",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def delete_tag(
    slug: TermSlug,
    session: SessionDep,
    _editor: TaxonomyEditor,
    detach: Annotated[
        bool, Query(description="Remove the tag from the articles that use it first.")
    ] = False,
) -> None:
    service.delete_term(session, Tag, slug, detach=detach)


# Authors


@router.get(
    "/authors",
    tags=["authors"],
    summary="List authors",
    description="Every author, in the order they were created, a page at a time.",
    response_model=AuthorPage,
    responses=problem_responses(422),
    dependencies=[cache_for("taxonomy")],
)
def list_authors(
    request: Request, response: Response, session: SessionDep, page: PageQueryDep
) -> AuthorPage:
    return _list_page(Author, AuthorPage, AuthorPublic, request, response, session, page)


@router.get(
    "/authors/{slug}",
    tags=["authors"],
    summary="Get an author",
    description="One author by its slug; an unknown slug is a 404.",
    response_model=AuthorPublic,
    responses=problem_responses(404, 422),
    dependencies=[cache_for("taxonomy")],
)
def get_author(response: Response, session: SessionDep, slug: TermSlug) -> AuthorPublic:
    return AuthorPublic.model_validate(_get(response, session, Author, slug))


@router.post(
    "/authors",
    tags=["authors"],
    summary="Create an author",
    description="A new author; the slug, when not given, comes from the name. "
    "Needs a token with `taxonomy:write`.",
    status_code=status.HTTP_201_CREATED,
    response_model=AuthorPublic,
    responses=problem_responses(401, 403, 409, 422),
)
def create_author(
    data: AuthorCreate, response: Response, session: SessionDep, _editor: TaxonomyEditor
) -> AuthorPublic:
    return AuthorPublic.model_validate(_create(response, session, Author, data))


@router.patch(
    "/authors/{slug}",
    tags=["authors"],
    summary="Update an author",
    description="Change the fields sent. Articles that embed the author get a new "
    "version (and ETag). Needs a token with `taxonomy:write`.",
    response_model=AuthorPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def update_author(
    slug: TermSlug, data: AuthorUpdate, session: SessionDep, _editor: TaxonomyEditor
) -> AuthorPublic:
    return AuthorPublic.model_validate(service.update_term(session, Author, slug, data))


@router.delete(
    "/authors/{slug}",
    tags=["authors"],
    summary="Delete an author",
    description="An author that articles use is refused with 409 unless "
    "`detach=true`. Needs a token with `taxonomy:write`.",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def delete_author(
    slug: TermSlug,
    session: SessionDep,
    _editor: TaxonomyEditor,
    detach: Annotated[
        bool, Query(description="Remove the author from the articles that use it first.")
    ] = False,
) -> None:
    service.delete_term(session, Author, slug, detach=detach)


# What every kind's routes do.


def _list_page(
    model: type[TaxonomyTerm],
    page_type: type[PageT],
    public: type[TermRef],
    request: Request,
    response: Response,
    session: SessionDep,
    page: PageQuery,
) -> PageT:
    rows, next_cursor = service.list_terms(session, model, limit=page.limit, cursor=page.cursor)
    tag(
        response,
        service.COLLECTION[service.term_kind(model)],
        *(key for row in rows for key in _keys(row)),
    )
    return build_page(
        page_type,
        [public.model_validate(row) for row in rows],
        limit=page.limit,
        next_cursor=next_cursor,
        request=request,
        response=response,
    )


def _get(
    response: Response, session: SessionDep, model: type[TaxonomyTerm], slug: str
) -> TaxonomyTerm:
    term = service.get_term(session, model, slug)
    tag(response, *_keys(term))
    return term


def _keys(term: TaxonomyTerm) -> list[str]:
    """The surrogate keys of an answer showing ``term``: its own, and its avatar's."""
    keys = [f"{service.term_kind(type(term))}-{term.id}"]
    if isinstance(term, Author) and term.avatar_media_id is not None:
        keys.append(f"media-{term.avatar_media_id}")
    return keys


def _create(
    response: Response, session: SessionDep, model: type[TaxonomyTerm], data: TermCreate
) -> TaxonomyTerm:
    term = service.create_term(session, model, data)
    collection = service.COLLECTION[service.term_kind(model)]
    response.headers["Location"] = f"/v1/{collection}/{quote(term.slug)}"
    return term
