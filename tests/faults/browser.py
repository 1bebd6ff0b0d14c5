"""A small browser for gunicorn on loopback: a logged-in session (written to the session store
as a login would) and the CSRF cookie and token, over plain http.client."""

import http.client
import secrets
import string
from urllib.parse import urlencode

from django.test import Client

HOST = "127.0.0.1"


class Browser:
    def __init__(self, port, user=None):
        self.port = port
        self.csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
        self.cookies = {"csrftoken": self.csrf, "django_language": "en"}
        if user is not None:
            client = Client()
            client.force_login(user)
            self.cookies["sessionid"] = client.cookies["sessionid"].value

    def request(self, method, path, data=None, timeout=30):
        """(status, body text, headers); raises on a connection error or a timeout."""
        connection = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        headers = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "Accept-Language": "en",
        }
        body = None
        if method == "POST":
            body = urlencode({"csrfmiddlewaretoken": self.csrf, **(data or {})}, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read().decode(errors="replace"), dict(response.getheaders())
        finally:
            connection.close()

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, data=None, **kwargs):
        return self.request("POST", path, data, **kwargs)
