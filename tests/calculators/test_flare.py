"""Pain flare page (Chow 2005; Hird 2009; clinical.md §1.4)."""

import pytest
from django.urls import reverse

from tests.calculators.conftest import read_csv

URL = reverse("calculators:flare")
# Baseline pain 4 on 30 mg; pain 7 on days 3-4 (+3 points), back to 4 on day 6: a flare of 2 days.
DIARY = "day, pain, omed\n1, 4, 30\n2, 4, 30\n3, 7, 30\n4, 7, 30\n5, , 30\n6, 4, 30\n7, 3, 30"
BASE = {"baseline_pain": 4, "baseline_omed": 30, "first_rt_day": 1, "last_rt_day": 5, "diary": DIARY}


@pytest.mark.django_db
class TestFlarePage:
    def test_it_detects_a_flare(self, get):
        response, body = get(URL, BASE)
        assert response.status_code == 200
        assert "Result: pain flare" in body and "Chow E et al., Radiother Oncol 2005" in body

    def test_no_return_is_a_progression_pattern(self, get):
        _, body = get(URL, {**BASE, "diary": "1, 4, 30\n3, 7, 30\n4, 7, 30\n8, 7, 30"})
        assert "progression pattern" in body

    def test_two_consecutive_days_option(self, get):
        _, body = get(URL, {**BASE, "diary": "1, 4, 30\n3, 7, 30\n4, 4, 30", "consecutive_days": 2})
        assert "Result: no flare" in body

    def test_it_downloads_csv(self, client):
        rows = read_csv(client.get(URL, {**BASE, "format": "csv"}))
        assert rows[1][:5] == ["True", "flare", "3", "4", "2"]

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({**BASE, "diary": "1, 4\n"}, "diary"),
            ({**BASE, "diary": "1, 14, 30"}, "diary"),
            ({**BASE, "diary": "x1, 4, 30\ny, 4, 30"}, "diary"),
            ({**BASE, "diary": "1, 4, 30\n1, 5, 30"}, "diary"),
            ({**BASE, "last_rt_day": 0}, "last_rt_day"),
            ({**BASE, "baseline_pain": 12}, "baseline_pain"),
        ],
    )
    def test_it_shows_field_errors(self, get, params, field):
        response, body = get(URL, params)
        assert response.status_code == 200 and f'id="id_{field}-error"' in body

    def test_its_form_posts_so_a_long_diary_fits(self, get):
        _, body = get(URL)
        assert '<form method="post" action="" class="calc-form">' in body and "csrfmiddlewaretoken" in body

    def test_it_takes_a_posted_diary_of_three_months(self, client):
        # A year of "day, pain, OMED" lines is ~5 000 characters, over the 4 KB request line a server accepts
        # in a URL once encoded; posted, it is no problem.
        lines = [f"{day}, {7 if day in (3, 4) else 4}, 30.0" for day in range(1, 366)]
        params = {**BASE, "diary": "\n".join(lines)}
        assert len(params["diary"]) > 4096
        response = client.post(URL, params)
        body = response.content.decode()
        assert response.status_code == 200 and "Result: pain flare" in body
        # The download button posts the same fields back.
        assert 'name="diary" value="1, 4, 30' in body and 'name="part"' in body
        rows = read_csv(client.post(URL, {**params, "format": "csv"}))
        assert rows[1][:5] == ["True", "flare", "3", "4", "2"]

    def test_it_refuses_put(self, client):
        assert client.put(URL).status_code == 405
