import pytest
from django.urls import reverse


def url(outcome, kind="forest", fmt="svg"):
    return reverse("evidence:outcome_plot", args=[outcome.pk, kind, fmt])


@pytest.mark.django_db
class TestOutcomePlot:
    def test_it_downloads_the_forest_plot_as_svg(self, login, nurse_a, bcg_outcome):
        response = login(nurse_a).get(url(bcg_outcome))
        assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
        assert b'id="pooled-diamond"' in response.content and "attachment" in response["Content-Disposition"]

    def test_it_downloads_the_funnel_plot_as_png(self, login, nurse_a, bcg_outcome):
        response = login(nurse_a).get(url(bcg_outcome, "funnel", "png"))
        assert response.status_code == 200 and response.content[:8] == b"\x89PNG\r\n\x1a\n"

    def test_it_is_404_for_an_unknown_format(self, login, nurse_a, bcg_outcome):
        assert login(nurse_a).get(url(bcg_outcome, "forest", "pdf")).status_code == 404

    def test_it_is_409_without_studies(self, login, nurse_a, outcome_rr):
        assert login(nurse_a).get(url(outcome_rr)).status_code == 409

    def test_it_is_404_for_another_sites_nurse(self, login, nurse_b, bcg_outcome):
        assert login(nurse_b).get(url(bcg_outcome)).status_code == 404

    def test_it_redirects_anonymous_users(self, client, bcg_outcome):
        assert client.get(url(bcg_outcome)).status_code == 302

    def test_it_refuses_post(self, login, nurse_a, bcg_outcome):
        assert login(nurse_a).post(url(bcg_outcome)).status_code == 405
