"""The site feeds and sitemaps link to, as a route dependency."""

from typing import Annotated

from fastapi import Depends

from app.core.errors import NotFound
from app.core.site import Site, current_site


async def get_site() -> Site:
    site = current_site()
    if site is None:
        raise NotFound(
            "feeds and sitemaps link to the website's pages: set AKHBAR_SITE_URL (and the "
            "AKHBAR_SITE_*_URL templates of its pages) to enable them",
            arabic="الخلاصات وخرائط الموقع غير مفعّلة: يلزم ضبط AKHBAR_SITE_URL",
        )
    return site


SiteDep = Annotated[Site, Depends(get_site)]
