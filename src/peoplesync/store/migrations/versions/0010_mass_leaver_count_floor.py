"""The mass-leaver safeguard's count is a floor beside the share, not a replacement for it

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 03:00:00

Before, a set `leaver_threshold_count` N flagged more than N leavers (the share ignored), and
none meant the share alone. Now a sync is flagged when its leavers are more than the share of
the active people and at least the count (default 5). An account that had a count keeps its
meaning as closely as a floor can: "more than N" becomes "at least N + 1"; an account that had
none gets the default, 5. Downgrading turns "at least N" back into "more than N - 1".
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

DEFAULT_COUNT = 5


def upgrade() -> None:
    # Values only: no table rebuild (SQLite's batch mode would recreate `accounts`, and with
    # foreign keys on, dropping the old table cascades to everything an account owns). The
    # column stays nullable; the application reads a null as the default.
    accounts = sa.table("accounts", sa.column("leaver_threshold_count", sa.Integer()))
    count = accounts.c.leaver_threshold_count
    op.execute(accounts.update().where(count.is_not(None)).values(leaver_threshold_count=count + 1))
    op.execute(
        accounts.update().where(count.is_(None)).values(leaver_threshold_count=DEFAULT_COUNT)
    )


def downgrade() -> None:
    accounts = sa.table("accounts", sa.column("leaver_threshold_count", sa.Integer()))
    count = accounts.c.leaver_threshold_count
    op.execute(accounts.update().values(leaver_threshold_count=count - 1))
