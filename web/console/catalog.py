"""Console catalog pages: the search with its facets, and a dataset's page.

Each view parses its query arguments, calls one governance read within the caller's grants and
renders; a hidden dataset is the same 404 page as an unknown one.
"""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from governance.access import Permission
from governance.lineage.catalog_query import CatalogQuery
from governance.lineage.catalog_search import search_catalog
from governance.lineage.dataset_detail import dataset_detail
from web.auth import current_caller, requires
from web.console.page_args import offset_arg, text_arg
from web.console.pages import bp
from web.runtime import runtime

PAGE_SIZE = 25
VERSIONS_PAGE_SIZE = 20
WRITERS_SHOWN = 20


@bp.get("/catalog")
@requires(Permission.CATALOG_READ)
def catalog() -> ResponseReturnValue:
    """Datasets and jobs by text, kind, namespace, tag or owner; what changed last without a query."""
    query = CatalogQuery(
        text=text_arg("q") or "",
        kind=text_arg("kind"),
        namespace=text_arg("namespace"),
        tag=text_arg("tag"),
        owner=text_arg("owner"),
    )
    offset = offset_arg("page", PAGE_SIZE)
    with runtime().database.session() as session:
        found = search_catalog(session, query, grants=current_caller().grants, limit=PAGE_SIZE, offset=offset)
    return render_template("console/catalog/search.html", found=found)


@bp.get("/datasets/<name:namespace>/<name:name>")
@requires(Permission.CATALOG_READ)
def dataset(namespace: str, name: str) -> ResponseReturnValue:
    """A dataset: schema, owners, tags, documentation, data quality, versions and a diff, writers."""
    old, new = text_arg("from"), text_arg("to")
    offset = offset_arg("versions_page", VERSIONS_PAGE_SIZE)
    with runtime().database.session() as session:
        detail = dataset_detail(
            session,
            namespace,
            name,
            grants=current_caller().grants,
            versions_limit=VERSIONS_PAGE_SIZE,
            versions_offset=offset,
            writers_limit=WRITERS_SHOWN,
            compare=(old, new) if old and new else None,
        )
    return render_template("console/catalog/dataset.html", dataset=detail, args=request.args)
