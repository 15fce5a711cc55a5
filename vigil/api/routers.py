from rest_framework.routers import SimpleRouter


class Router(SimpleRouter):
    """The API's router: a lookup matches any one path segment.

    DRF's default pattern, "[^/.]+", keeps dots out for format suffixes, which Vigil
    does not use. With it a malformed id such as "1.5" matched no URL and got the
    site's HTML 404 page; now it reaches the view, which answers with the API's JSON 404.
    A viewset's own `lookup_value_regex` still wins.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # SimpleRouter (DRF >= 3.15) keeps its default lookup pattern here.
        if self._use_regex:
            self._default_value_pattern = "[^/]+"
