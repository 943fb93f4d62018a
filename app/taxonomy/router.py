"""Categories, tags and authors: the same routes for each. Reads are public; writes need
a token with `taxonomy:write`."""

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response, status

from app.auth.deps import TaxonomyEditor
from app.caching import cache_for, tag
from app.db import SessionDep
from app.errors import problem_responses
from app.models import Author, Category, Tag
from app.pagination import Page, PageQueryDep, build_page
from app.routing import JsonRoute
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


def _add_term_routes(
    model: type[Category] | type[Tag] | type[Author],
    *,
    plural: str,
    public: type[TermRef],
    page_type: type[Page[Any]],
    create_schema: type[TermCreate] = TermCreate,
    update_schema: type[TermUpdate] = TermUpdate,
) -> None:
    singular = service.term_kind(model)
    a_singular = service.with_article(singular)

    def list_terms(
        request: Request, response: Response, session: SessionDep, page: PageQueryDep
    ) -> Page[Any]:
        rows, next_cursor = service.list_terms(session, model, limit=page.limit, cursor=page.cursor)
        tag(response, plural, *(f"{singular}-{row.id}" for row in rows))
        return build_page(
            page_type,
            [public.model_validate(row) for row in rows],
            limit=page.limit,
            next_cursor=next_cursor,
            request=request,
            response=response,
        )

    def get_term(response: Response, session: SessionDep, slug: TermSlug) -> TermRef:
        term = service.get_term(session, model, slug)
        tag(response, f"{singular}-{term.id}")
        return public.model_validate(term)

    def create_term(
        data: create_schema,  # type: ignore[valid-type]
        response: Response,
        session: SessionDep,
        _editor: TaxonomyEditor,
    ) -> TermRef:
        term = service.create_term(session, model, data)
        response.headers["Location"] = f"/v1/{plural}/{quote(term.slug)}"
        return public.model_validate(term)

    def update_term(
        slug: TermSlug,
        data: update_schema,  # type: ignore[valid-type]
        session: SessionDep,
        _editor: TaxonomyEditor,
    ) -> TermRef:
        return public.model_validate(service.update_term(session, model, slug, data))

    def delete_term(
        slug: TermSlug,
        session: SessionDep,
        _editor: TaxonomyEditor,
        detach: Annotated[
            bool,
            Query(description=f"Remove the {singular} from the articles that use it first."),
        ] = False,
    ) -> None:
        service.delete_term(session, model, slug, detach=detach)

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
        dependencies=[cache_for("taxonomy")],
    )
    router.add_api_route(
        f"/{plural}/{{slug}}",
        get_term,
        methods=["GET"],
        name=f"get_{singular}",
        tags=[plural],
        summary=f"Get {a_singular}",
        description=f"One {singular} by its slug; an unknown slug is a 404.",
        response_model=public,
        responses=problem_responses(404, 422),
        dependencies=[cache_for("taxonomy")],
    )
    router.add_api_route(
        f"/{plural}",
        create_term,
        methods=["POST"],
        name=f"create_{singular}",
        tags=[plural],
        summary=f"Create {a_singular}",
        description=f"A new {singular}; the slug, when not given, comes from the name. "
        "Needs a token with `taxonomy:write`.",
        status_code=status.HTTP_201_CREATED,
        response_model=public,
        responses=problem_responses(401, 403, 409, 422),
    )
    router.add_api_route(
        f"/{plural}/{{slug}}",
        update_term,
        methods=["PATCH"],
        name=f"update_{singular}",
        tags=[plural],
        summary=f"Update {a_singular}",
        description=f"Change the fields sent. Articles that embed the {singular} get a new "
        "version (and ETag). Needs a token with `taxonomy:write`.",
        response_model=public,
        responses=problem_responses(401, 403, 404, 409, 422),
    )
    router.add_api_route(
        f"/{plural}/{{slug}}",
        delete_term,
        methods=["DELETE"],
        name=f"delete_{singular}",
        tags=[plural],
        summary=f"Delete {a_singular}",
        description=f"{a_singular.capitalize()} that articles use is refused with 409 unless "
        "`detach=true`. Needs a token with `taxonomy:write`.",
        status_code=status.HTTP_204_NO_CONTENT,
        responses=problem_responses(401, 403, 404, 409, 422),
    )


_add_term_routes(Category, plural="categories", public=CategoryPublic, page_type=CategoryPage)
_add_term_routes(Tag, plural="tags", public=TagPublic, page_type=TagPage)
_add_term_routes(
    Author,
    plural="authors",
    public=AuthorPublic,
    page_type=AuthorPage,
    create_schema=AuthorCreate,
    update_schema=AuthorUpdate,
)
