import pytest
import sqlalchemy as sa

from domain.statements import StatementFileError, parse_endorser, parse_statement
from extensions import db
from models import Endorsement, Statement
from tests.helpers import SHARED_STATEMENT, expected_lines

SHARED_TEXT = SHARED_STATEMENT.read_text(encoding="utf-8")


def test_shared_statement_parses_into_its_parts():
    parsed = parse_statement(SHARED_TEXT)
    assert parsed.kicker == "Joint Statement"
    assert parsed.title == "Stop Reprisals Against CENTRAL Over Better Factories Report"
    assert parsed.published_on.isoformat() == "2024-06-27"
    assert parsed.body.startswith("The Interior Ministry's decision")
    assert parsed.body.endswith("*This joint statement is endorsed by:*")
    assert len(parsed.endorsers) == 43


@pytest.mark.parametrize(
    "line, organisation, acronym, location",
    [
        ("Cambodian Center for Human Rights (CCHR)", "Cambodian Center for Human Rights", "CCHR", None),
        ("Boeung Pi community (Battambang)", "Boeung Pi community", None, "Battambang"),
        ("Prey Lang Community Network", "Prey Lang Community Network", None, None),
        (
            "Rattanak Rokha Forestry Community (Oddar Meanchey )",
            "Rattanak Rokha Forestry Community",
            None,
            "Oddar Meanchey",
        ),
        ("Land Community (Pailin)", "Land Community", None, "Pailin"),
        ("Equitable Cambodia (EC)", "Equitable Cambodia", "EC", None),
    ],
)
def test_parentheses_mean_acronym_or_location(line, organisation, acronym, location):
    endorser = parse_endorser(line)
    assert (endorser.organisation, endorser.acronym, endorser.location) == (organisation, acronym, location)


def test_import_twice_leaves_exactly_43(runner):
    first = runner.invoke(args=["statements", "import", str(SHARED_STATEMENT)])
    second = runner.invoke(args=["statements", "import", str(SHARED_STATEMENT)])
    assert first.exit_code == 0, first.output
    assert "43 endorsement(s) added" in first.output
    assert second.exit_code == 0 and "0 endorsement(s) added" in second.output
    assert db.session.scalar(sa.select(sa.func.count(Endorsement.id))) == 43
    assert db.session.scalar(sa.select(sa.func.count(Statement.id))) == 1


def test_imported_list_keeps_published_order_and_names(shared_statement):
    endorsers = db.session.scalars(Endorsement.select_public(shared_statement.id)).all()
    assert [e.display_name for e in endorsers] == expected_lines()
    assert [e.position for e in endorsers] == list(range(1, 44))


@pytest.mark.parametrize(
    "text, line, problem",
    [
        ("", 1, "empty"),
        ("Just text\n", 1, "heading"),
        ("## Kicker\n### Title\n\nnot a date\n", 4, "date"),
        ("### Title\n27 June 2024\n\nBody.\n\n1. One\n2. Two\nstray paragraph\n", 8, "numbered endorser"),
        ("### Title\n27 June 2024\n\nBody.\n\n1. One\n3. Three\n", 7, "number 2"),
        ("### Title\n27 June 2024\n\nBody.\n\n1. One\n2.   \n", 7, "no name"),
    ],
)
def test_malformed_files_name_the_line(text, line, problem):
    with pytest.raises(StatementFileError) as error:
        parse_statement(text)
    assert error.value.line_number == line
    assert problem in str(error.value)


def test_malformed_file_leaves_database_unchanged(runner, shared_statement, tmp_path):
    broken = tmp_path / "broken.md"
    broken.write_text(SHARED_TEXT.replace("17. Dak Por Community", "Dak Por Community"), encoding="utf-8")
    before = db.session.scalar(sa.select(sa.func.count(Endorsement.id)))
    result = runner.invoke(args=["statements", "import", str(broken), "--slug", shared_statement.slug])
    assert result.exit_code != 0
    assert "line" in result.output and "Nothing was imported" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Endorsement.id))) == before == 43


def test_if_empty_imports_the_default_only_once(runner):
    first = runner.invoke(args=["statements", "import", "--if-empty"])
    second = runner.invoke(args=["statements", "import", "--if-empty"])
    assert "43 endorsement(s) added" in first.output
    assert "nothing imported" in second.output
    assert db.session.scalar(sa.select(sa.func.count(Endorsement.id))) == 43
