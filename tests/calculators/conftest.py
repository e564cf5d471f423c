"""Helpers for the calculator page tests."""

import csv
import io

import pytest


@pytest.fixture
def get(client, db):
    """GET a page and return (response, body text)."""

    def _get(url, params=None):
        response = client.get(url, params or {})
        body = response.content.decode() if not response.streaming else ""
        return response, body

    return _get


def read_csv(response):
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))
