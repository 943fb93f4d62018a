"""How long each kind of text may be: the request field types check it (``app.core.fields``)
and the tables declare it (``app.models``). A slug's limit is ``app.text.slugs.SLUG_MAX``."""

NAME_MAX = 200
URL_MAX = 2048
TITLE_MAX = 300
EXCERPT_MAX = 1000
COMMENT_AUTHOR_MAX = 100
COMMENT_BODY_MAX = 5000
EMAIL_MAX = 254
HEADLINE_MAX = 300
LABEL_MAX = 40
