"""Every endpoint is in the access matrix, and every role gets exactly what the matrix says:
anonymous visitors are sent to sign in (machine API: 401), a wrong role gets 403, the right one
gets the page (or a 404 for an id that does not exist, never a refusal)."""
from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from app.platform.access import API_TOKEN, PUBLIC, may_open, rule_for

ROLES = ("moderator", "senior_moderator", "compliance", "operator", "admin")


def _routes(app):  # noqa: ANN001, ANN202
    """(endpoint, method, url with placeholder ids) for every route but the static files."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        values = {name: "1" if isinstance(conv, IntegerConverter) else "nope"
                  for name, conv in rule._converters.items()}
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url))
    return found


def test_every_endpoint_is_in_the_matrix(app):
    missing = sorted({endpoint for endpoint, _m, _u in _routes(app) if rule_for(endpoint) is None})
    assert not missing, f"endpoints nobody decided access for: {missing}"


def test_anonymous_visitors_sign_in_first(client, app):
    for endpoint, method, url in _routes(app):
        rule = rule_for(endpoint)
        if rule in (PUBLIC, API_TOKEN):
            continue
        response = client.open(url, method=method)
        assert response.status_code == 302 and "/login" in response.headers["Location"], (endpoint, method)


def test_machine_api_needs_a_token(client, app):
    for endpoint, method, url in _routes(app):
        if rule_for(endpoint) == API_TOKEN:
            assert client.open(url, method=method).status_code == 401, (endpoint, method)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_the_matrix_says(client, login, app, role):
    user = login(role)
    for endpoint, method, url in _routes(app):
        if rule_for(endpoint) in (PUBLIC, API_TOKEN):
            continue
        allowed = may_open(user, endpoint)
        if allowed and method != "GET":
            continue  # a permitted write would change the data the next checks read
        response = client.open(url, method=method)
        if allowed:
            assert response.status_code not in (401, 403) and response.status_code < 500, \
                (role, endpoint, url, response.status_code)
            assert "/login" not in response.headers.get("Location", ""), (role, endpoint)
        else:
            assert response.status_code == 403, (role, endpoint, method, response.status_code)


def test_the_matrix_answers_for_new_pages_too():
    assert rule_for("reports.index") is None  # an area nobody listed: refused until someone decides
    assert rule_for("moderation.leads_index") == ("senior_moderator",)
    assert rule_for("moderation.cluster") == ("moderator", "senior_moderator")
