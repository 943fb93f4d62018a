"""Public reads of categories, tags and authors: the same two routes for each."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from app.db import SessionDep
from app.errors import problem_responses
from app.models import Author, Category, Tag
from app.pagination import Page, PageQueryDep, build_page
from app.taxonomy import service
from app.taxonomy.schemas import (
    AuthorPage,
    AuthorPublic,
    CategoryPage,
    CategoryPublic,
    TagPage,
    TagPublic,
    TermRef,
)

router = APIRouter(prefix="/v1")

TermSlug = Annotated[
    str, Path(max_length=600, description="Slug, raw or percent-encoded.", examples=["سياسة"])
]


def _add_term_routes(
    model: type[Category] | type[Tag] | type[Author],
    *,
    plural: str,
    public: type[TermRef],
    page_type: type[Page[Any]],
) -> None:
    singular = service.term_kind(model)

    def list_terms(
        request: Request, response: Response, session: SessionDep, page: PageQueryDep
    ) -> Page[Any]:
        rows, next_cursor = service.list_terms(session, model, limit=page.limit, cursor=page.cursor)
        return build_page(
            page_type,
            [public.model_validate(row) for row in rows],
            limit=page.limit,
            next_cursor=next_cursor,
            request=request,
            response=response,
        )

    def get_term(session: SessionDep, slug: TermSlug) -> TermRef:
        return public.model_validate(service.get_term(session, model, slug))

    router.add_api_route(
        f"/{plural}",
        list_terms,
        methods=["GET"],
        name=f"list_{plural}",
        tags=[plural],
        summary=f"List {plural}",
        description=f"Every {singular}, in the order they were created, a page at a time.",
        response_model=page_type,
        responses=problem_responses(422),
    )
    router.add_api_route(
        f"/{plural}/{{slug}}",
        get_term,
        methods=["GET"],
        name=f"get_{singular}",
        tags=[plural],
        summary=f"Get a {singular}",
        description=f"One {singular} by its slug; an unknown slug is a 404.",
        response_model=public,
        responses=problem_responses(404, 422),
    )


_add_term_routes(Category, plural="categories", public=CategoryPublic, page_type=CategoryPage)
_add_term_routes(Tag, plural="tags", public=TagPublic, page_type=TagPage)
_add_term_routes(Author, plural="authors", public=AuthorPublic, page_type=AuthorPage)
