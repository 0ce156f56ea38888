"""The benchmark's data: a big statement list and a long moderation queue, migrated and seeded fast.

The schema comes from the app's own migrations (`flask db upgrade`); rows go in with Core
executemany, which takes seconds where the ORM would take minutes.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from bench.config import (
    MODERATOR_EMAIL,
    MODERATOR_PASSWORD,
    PUBLIC_COUNT,
    QUEUE_COUNT,
    VENV_BIN,
    app_env,
    log,
    run_command,
)

STATEMENT_BODY = """\
We, the undersigned organisations, condemn the reprisals against workers' representatives
who spoke to researchers about conditions in the garment sector.

**We call on the authorities** to drop all charges, to guarantee the freedom of association
guaranteed by the Constitution, and to meet the unions and associations concerned.

1. Drop the charges.
2. Return the seized documents.
3. Guarantee that no one is punished for speaking to researchers.

យើងខ្ញុំ ជាអង្គការដែលបានចុះហត្ថលេខាខាងក្រោម សូមថ្កោលទោសចំពោះការសងសឹកទាំងនេះ។
"""

EN_PREFIXES = [
    "Cambodian", "Khmer", "Mekong", "Tonle Sap", "Cardamom", "Southeast Asian", "Grassroots",
    "Independent", "Democratic", "Solidarity", "Rural", "Urban", "Coastal", "Highland", "Northern",
]  # fmt: skip
EN_KINDS = [
    "Community Network", "Youth Association", "Women's Association", "Farmers' Association",
    "Fisheries Community", "Land Community", "Workers' Union", "Human Rights Centre",
    "Development Organisation", "Environmental Network", "Indigenous Peoples' Association",
    "Teachers' Association", "Legal Aid Project", "Media Centre", "Housing Rights Task Force",
]  # fmt: skip
PROVINCES = [
    "Phnom Penh", "Koh Kong", "Pailin", "Battambang", "Siem Reap", "Kampong Cham", "Kampot", "Takeo",
    "Ratanakiri", "Mondulkiri", "Prey Veng", "Svay Rieng", "Kratie", "Stung Treng", "Preah Vihear",
    "Kandal", "Pursat", "Kampong Speu", "Kampong Thom", "Banteay Meanchey", "Oddar Meanchey", "Kep",
    "Preah Sihanouk", "Tbong Khmum", "Kampong Chhnang",
]  # fmt: skip
ACRONYM_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
KM_KINDS = ["សមាគម", "បណ្តាញ", "សហគមន៍", "អង្គការ", "សម្ព័ន្ធ", "សហជីព"]
KM_TOPICS = [
    "ការពារសិទ្ធិមនុស្ស", "យុវជន", "ស្ត្រី", "កសិករ", "ដីធ្លី", "នេសាទ",
    "កម្មករ", "បរិស្ថាន", "អប់រំ", "សុខភាព", "ជនជាតិដើមភាគតិច", "ព្រៃឈើ",
]  # fmt: skip
KM_PROVINCES = ["ភ្នំពេញ", "កោះកុង", "ប៉ៃលិន", "បាត់ដំបង", "សៀមរាប", "កំពង់ចាម", "កំពត", "តាកែវ"]
CONTACTS = ["Sok Chea", "Chan Sophea", "Vann Dara", "Srey Mom", "Kim Sokha", "ចាន់ សុភា", "សុខ ជា", "Mary Tan"]
MESSAGES = [None, None, "We endorse this statement.", "យើងគាំទ្រសេចក្តីថ្លែងការណ៍នេះ។", "Please list our network."]


def chunks(rows, size: int):
    """Yield lists of at most `size` rows."""
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def organisation_key_function(app_dir: Path):
    """The app's own organisation_key(), so seeded keys are exactly what the app computes."""
    sys.path.insert(0, str(app_dir))
    from models.endorsement import organisation_key

    return organisation_key


def random_organisation(rng: random.Random) -> tuple[str, str | None, str | None]:
    """(name, acronym, location): about one in five in Khmer; acronyms of 4-5 capitals, rarely shared."""
    if rng.random() < 0.2:
        name = rng.choice(KM_KINDS) + rng.choice(KM_TOPICS)
        return name, None, rng.choice(KM_PROVINCES) if rng.random() < 0.6 else None
    name = f"{rng.choice(EN_PREFIXES)} {rng.choice(EN_KINDS)}"
    acronym = "".join(rng.choices(ACRONYM_LETTERS, k=rng.randint(4, 5))) if rng.random() < 0.35 else None
    return name, acronym, rng.choice(PROVINCES) if rng.random() < 0.5 else None


def unique_organisation(rng: random.Random, seen: set[str], key_of) -> dict:
    """A random organisation whose key is not in `seen` (a number in front, like '197 Land Community').

    Returned as the columns organisation, organisation_key, acronym and location."""
    base, acronym, location = random_organisation(rng)
    name, key = base, key_of(base, location)
    while key in seen:
        name = f"{rng.randint(2, 999)} {base}"
        key = key_of(name, location)
    seen.add(key)
    return dict(organisation=name, organisation_key=key, acronym=acronym, location=location)


def endorsement_row(statement_id: int, **values) -> dict:
    """A full endorsements row with every column given (executemany needs the same keys)."""
    row = dict(
        statement_id=statement_id,
        organisation=None,
        organisation_key=None,
        acronym=None,
        location=None,
        website=None,
        contact_name=None,
        email=None,
        phone=None,
        message=None,
        authorised=True,
        status=None,
        position=None,
        source="web",
        submitted_at=None,
        confirmed_at=None,
        mails_sent=0,
        decided_at=None,
        decided_by_id=None,
        rejection_reason=None,
    )
    row.update(values)
    return row


def public_rows(statement_id: int, count: int, key_of):
    """`count` approved endorsements at positions 1..count, distinct organisation keys."""
    rng, seen = random.Random(1), set()
    at = datetime(2024, 6, 27, 9, 0)
    for position in range(1, count + 1):
        yield endorsement_row(
            statement_id,
            **unique_organisation(rng, seen, key_of),
            status="approved",
            position=position,
            source="import",
            submitted_at=at,
            confirmed_at=at,
            decided_at=at,
        )


def queue_rows(statement_id: int, count: int, key_of):
    """`count` pending endorsements with contact fields, submitted_at increasing.

    Names are distinct except for about 1 in 100, which repeats an earlier sign-on (as people do).
    """
    rng, seen, earlier = random.Random(2), set(), []
    start = datetime(2024, 7, 1, 0, 0)
    for i in range(count):
        if earlier and rng.random() < 0.01:
            organisation = rng.choice(earlier)
        else:
            organisation = unique_organisation(rng, seen, key_of)
            earlier.append(organisation)
        at = start + timedelta(seconds=7 * i)
        yield endorsement_row(
            statement_id,
            **organisation,
            website=f"https://org{i}.example.org/" if rng.random() < 0.4 else None,
            contact_name=rng.choice(CONTACTS),
            email=f"contact{i}@example.org",
            phone=f"+855 {rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}",
            message=rng.choice(MESSAGES),
            status="pending",
            submitted_at=at,
            confirmed_at=at,
            mails_sent=1,
        )


def insert_statement(connection, table: sa.Table, slug: str, title: str) -> int:
    """One open statement; returns its id."""
    now = datetime.now(UTC).replace(tzinfo=None)
    row = dict(
        slug=slug,
        kicker="Joint Statement",
        title=title,
        published_on=date(2024, 6, 27),
        body=STATEMENT_BODY,
        status="open",
        signon_deadline=None,
        list_version=1,
        created_at=now,
        updated_at=now,
    )
    result = connection.execute(table.insert().values(**fit(table, row)))
    return result.inserted_primary_key[0]


def fit(table: sa.Table, row: dict) -> dict:
    """Keep only the columns the migrated schema has (the models may be ahead of it)."""
    return {name: value for name, value in row.items() if name in table.c}


def bulk_insert(connection, table: sa.Table, rows) -> int:
    """Core executemany in batches; returns the number of rows."""
    total = 0
    for batch in chunks(rows, 5000):
        connection.execute(table.insert(), [fit(table, row) for row in batch])
        total += len(batch)
    return total


def seed(database_url: str, key_of, *, with_queue: bool) -> dict[str, int]:
    """Insert the 'bench' statement with its public list and, optionally, the 'queue' statement."""
    engine = sa.create_engine(database_url)
    try:
        metadata = sa.MetaData()
        metadata.reflect(engine, only=["statements", "endorsements"])
        statements, endorsements = metadata.tables["statements"], metadata.tables["endorsements"]
        ids = {}
        with engine.begin() as connection:
            ids["bench"] = insert_statement(connection, statements, "bench", "Stop Reprisals (benchmark)")
            bulk_insert(connection, endorsements, public_rows(ids["bench"], PUBLIC_COUNT, key_of))
            if with_queue:
                ids["queue"] = insert_statement(connection, statements, "queue", "A Long Queue (benchmark)")
                bulk_insert(connection, endorsements, queue_rows(ids["queue"], QUEUE_COUNT, key_of))
        return ids
    finally:
        engine.dispose()


def flask_cli(app_dir: Path, env: dict, *args: str, stdin: str | None = None):
    """Run `flask --app app ARGS` in the app directory."""
    return run_command([str(VENV_BIN / "flask"), "--app", "app", *args], cwd=app_dir, env=env, stdin=stdin)


def prepare_database(app_dir: Path, database_url: str, key_of, *, with_queue: bool) -> dict[str, int]:
    """Migrate, seed, and create the moderator; returns the statement ids."""
    env = app_env(database_url)
    started = time.monotonic()
    flask_cli(app_dir, env, "db", "upgrade")
    ids = seed(database_url, key_of, with_queue=with_queue)
    flask_cli(
        app_dir, env, "moderators", "create", MODERATOR_EMAIL, "--password-stdin", stdin=MODERATOR_PASSWORD
    )
    log(f"database ready in {time.monotonic() - started:.1f} s: {database_url}")
    return ids
