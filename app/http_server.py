"""The HTTP/1.1 protocol ``akhbar serve`` runs: uvicorn's httptools protocol, except that a
request it cannot parse is answered with a problem document, like every other refusal.

Such a request never reaches the app. The usual one is a URL with raw non-ASCII bytes
(`curl '…?category=اقتصاد'` sends them as typed): HTTP allows only ASCII in the request
line, so the parser refuses it. Where uvicorn answers a bare ``text/plain`` line, the
client gets the same ``application/problem+json`` as any 400, saying how to send it.
"""

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.errors import PROBLEM_MEDIA_TYPE, problem_type

UNPARSABLE_DETAIL = (
    "this is not a valid HTTP request: a URL must be ASCII, with any other character "
    "percent-encoded (curl: -G --data-urlencode 'q=…'; browsers and HTTP libraries do it)"
)


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        body = orjson.dumps(
            {
                "type": problem_type(400),
                "title": "Bad Request",
                "status": 400,
                "detail": UNPARSABLE_DETAIL,
            }
        )
        head = [b"HTTP/1.1 400 Bad Request"]
        head += [name + b": " + value for name, value in self.server_state.default_headers]
        head += [
            b"content-type: " + PROBLEM_MEDIA_TYPE.encode(),
            b"content-length: %d" % len(body),
            b"connection: close",
        ]
        self.transport.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        self.transport.close()
