"""ORM models, a module per area (base, directory, runs, sources, notify, access), all
imported here so that `from peoplesync.store.models import X` names any of them.

Every row belongs to an account. Relationships are `lazy="raise"`: eager loads are stated in the
query. Constraint names follow one convention (SQLite batch migrations need it).
"""

from peoplesync.store.models.access import (
    ApiToken,
    AuditEvent,
    Login,
    SignInFailure,
    WebSession,
)
from peoplesync.store.models.base import (
    ACTIVE_RUN_STATES,
    NAMING_CONVENTION,
    Base,
    StrEnumType,
    UTCDateTime,
)
from peoplesync.store.models.directory import (
    Account,
    Demographic,
    Person,
    PersonDemographic,
    PersonSearchTerm,
    people_table,
)
from peoplesync.store.models.notify import (
    AutoSyncMark,
    EmailMessage,
    MergeWebhookReceipt,
    NotificationRecipient,
    WebhookDelivery,
    WebhookEndpoint,
)
from peoplesync.store.models.runs import (
    ChangeLog,
    HeldChange,
    PlanItem,
    SyncRun,
)
from peoplesync.store.models.sources import (
    Connection,
    FieldMappingRow,
    PendingRecord,
    SourceRecord,
)

__all__ = [
    "ACTIVE_RUN_STATES",
    "NAMING_CONVENTION",
    "Account",
    "ApiToken",
    "AuditEvent",
    "AutoSyncMark",
    "Base",
    "ChangeLog",
    "Connection",
    "Demographic",
    "EmailMessage",
    "FieldMappingRow",
    "HeldChange",
    "Login",
    "MergeWebhookReceipt",
    "NotificationRecipient",
    "PendingRecord",
    "Person",
    "PersonDemographic",
    "PersonSearchTerm",
    "PlanItem",
    "SignInFailure",
    "SourceRecord",
    "StrEnumType",
    "SyncRun",
    "UTCDateTime",
    "WebSession",
    "WebhookDelivery",
    "WebhookEndpoint",
    "people_table",
]
