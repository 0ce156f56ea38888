from tests.helpers import count_line, expected_lines, inline_scripts, list_items, parse


def test_home_shows_the_shared_statement_with_43_endorsers(client, shared_statement):
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Stop Reprisals Against CENTRAL Over Better Factories Report" in html
    assert "Joint Statement" in html and "27 June 2024" in html
    assert count_line(html) == ("Endorsed by 43 organisations", "43")
    assert list_items(html) == expected_lines()  # "Workers' Federation" read as text, not as &#39;


def test_statement_page_renders_markdown_safely(client, make_statement):
    make_statement(slug="s", body="Hello **world** <script>alert(1)</script> [x](javascript:alert(1))")
    html = client.get("/statements/s").get_data(as_text=True)
    assert parse(html).find("div", class_="statement-body").find("strong", string="world") is not None
    assert inline_scripts(html) == []  # the script tag is not run
    assert "javascript:" not in html


def test_links_that_go_nowhere_are_plain_text(client, shared_statement):
    """The shared statement names the [ILO](#) and the [IFC](#): placeholders, not links."""
    page = parse(client.get(f"/statements/{shared_statement.slug}"))
    body = page.find("div", class_="statement-body")
    assert "Both the ILO and the IFC are clear" in " ".join(body.get_text(" ").split())
    assert [a for a in page.find_all("a") if a.get("href", "").strip() in ("", "#")] == []


def test_links_with_a_target_stay_links(client, make_statement):
    make_statement(slug="s", body="[Top](#top), [ILO](https://www.ilo.org) and [nothing]()")
    body = parse(client.get("/statements/s")).find("div", class_="statement-body")
    assert [(a.get_text(), a["href"]) for a in body.find_all("a")] == [
        ("Top", "#top"),
        ("ILO", "https://www.ilo.org"),
    ]
    assert "nothing" in body.get_text()


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
