from tests.helpers import expected_lines, list_items


def test_home_shows_the_shared_statement_with_43_endorsers(client, shared_statement):
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Stop Reprisals Against CENTRAL Over Better Factories Report" in html
    assert "Joint Statement" in html and "27 June 2024" in html
    assert "Endorsed by <strong>43</strong> organisations" in html
    unescape = lambda s: s.replace("&#39;", "'").replace("&amp;", "&")  # noqa: E731
    assert [unescape(item) for item in list_items(html)] == expected_lines()


def test_statement_page_renders_markdown_safely(client, make_statement):
    make_statement(slug="s", body="Hello **world** <script>alert(1)</script> [x](javascript:alert(1))")
    html = client.get("/statements/s").get_data(as_text=True)
    assert "<strong>world</strong>" in html
    assert "<script>alert(1)</script>" not in html
    assert "javascript:" not in html


def test_unknown_slug_is_a_clear_404(client):
    response = client.get("/statements/no-such-thing")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_draft_statement_is_not_public(client, make_statement):
    make_statement(slug="draft", status="draft")
    assert client.get("/statements/draft").status_code == 404


def test_several_statements_give_an_index(client, make_statement):
    make_statement(slug="a", title="First")
    make_statement(slug="b", title="Second")
    html = client.get("/").get_data(as_text=True)
    assert "/statements/a" in html and "/statements/b" in html
