"""Content validity page; PMC7253559 Table 4 panel (clinical.md §5): S-CVI/Ave 0.9722, S-CVI/UA 0.83."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.calculators.conftest import read_csv

URL = reverse("calculators:cvi")
# Items x experts as printed in the source (12 items, 6 experts).
ITEMS = [[4, 4, 4, 4, 4, 4], [4, 3, 4, 4, 3, 4], [4, 4, 4, 4, 4, 4], [4, 4, 4, 4, 4, 4], [3, 4, 4, 4, 4, 4],
         [2, 3, 4, 3, 3, 4], [4, 4, 4, 4, 4, 4], [4, 4, 4, 4, 4, 4], [3, 3, 4, 2, 3, 4], [4, 4, 4, 3, 4, 4],
         [4, 4, 4, 3, 4, 4], [4, 4, 4, 3, 4, 4]]
TEXT = "\n".join(",".join(str(v) for v in row) for row in ITEMS)


@pytest.mark.django_db
class TestCviPage:
    def test_it_computes_from_pasted_text(self, get):
        response, body = get(URL, {"ratings": TEXT, "rows_are": "items", "icvi_rule": "polit2007"})
        assert response.status_code == 200
        assert "S-CVI/Ave = 0.97, S-CVI/UA = 0.83 (6 experts)" in body
        assert "0.83" in body and "excellent" in body and "Polit" in body

    def test_it_computes_from_an_upload(self, client):
        upload = SimpleUploadedFile("ratings.csv", TEXT.encode(), content_type="text/csv")
        response = client.post(URL, {"upload": upload, "rows_are": "items", "icvi_rule": "polit2007"})
        body = response.content.decode()
        assert response.status_code == 200 and "S-CVI/Ave = 0.97" in body
        # The download buttons post the file's ratings back as text.
        assert 'name="ratings" value="4,4,4,4,4,4' in body and 'name="format" value="csv"' in body
        rows = read_csv(client.post(URL, {"ratings": TEXT, "rows_are": "items", "icvi_rule": "polit2007",
                                          "format": "csv", "part": "scale"}))
        assert float(dict(rows[1:])["S-CVI/Ave"]) == pytest.approx(0.9722, abs=1e-4)

    def test_it_takes_a_posted_panel_too_large_for_a_url(self, client, get):
        # 12 experts x 120 items is ~2 900 characters, ~5 000 once URL-encoded: over a server's 4 KB request line.
        _, page = get(URL)
        assert '<form method="post" action="" class="calc-form" aria-labelledby="paste-h">' in page
        text = "\n".join(",".join("4" if (item + expert) % 7 else "2" for expert in range(12)) for item in range(120))
        response = client.post(URL, {"ratings": text, "rows_are": "items", "icvi_rule": "polit2007"})
        assert response.status_code == 200 and "(12 experts)" in response.content.decode()

    def test_it_downloads_csv(self, client):
        rows = read_csv(client.get(URL, {"ratings": TEXT, "rows_are": "items", "icvi_rule": "polit2007",
                                         "format": "csv", "part": "scale"}))
        values = dict(rows[1:])
        assert float(values["S-CVI/Ave"]) == pytest.approx(0.9722, abs=1e-4)
        assert float(values["S-CVI/UA"]) == pytest.approx(10 / 12)
        items = read_csv(client.get(URL, {"ratings": TEXT, "rows_are": "items", "icvi_rule": "polit2007",
                                          "format": "csv", "part": "items"}))
        # Item 6: 5 of 6 experts -> I-CVI 0.83, pc 0.094, k* 0.816 (clinical.md §5).
        assert float(items[6][3]) == pytest.approx(5 / 6) and float(items[6][5]) == pytest.approx(0.816, abs=1e-3)

    @pytest.mark.parametrize(
        ("text", "message"),
        [("4,4,5\n4,4,4", "rating must be 1, 2, 3 or 4"), ("4,4\n4", "line 2"), ("", "Paste the ratings"),
         ("4,4,4\n4,x,4", "not a number")],
    )
    def test_it_shows_field_errors(self, get, text, message):
        response, body = get(URL, {"ratings": text, "rows_are": "experts", "icvi_rule": "polit2007"})
        assert response.status_code == 200 and 'id="id_ratings-error"' in body and message in body

    def test_a_binary_upload_is_refused(self, client):
        upload = SimpleUploadedFile("ratings.xlsx", b"\xff\xfe\x00\x81", content_type="application/octet-stream")
        response = client.post(URL, {"upload": upload, "rows_are": "items", "icvi_rule": "polit2007"})
        assert response.status_code == 200 and 'id="id_upload-error"' in response.content.decode()

    def test_it_refuses_put(self, client):
        assert client.put(URL).status_code == 405
