#include "kiosk/store/database.hpp"
#include "kiosk/store/statement.hpp"

#include <iterator>
#include <string>

namespace kiosk::store {
namespace {

// kMigrations[i] takes a database from schema version i to i + 1. Append only: a shipped migration is
// never edited, since kiosks in the field have already applied it.
constexpr const char* kMigrations[] = {
    // 1: ticket numbering and the tickets themselves.
    R"sql(
        PRAGMA application_id = 1263095635;  -- 0x4B494F53 "KIOS", detail::kApplicationId
        CREATE TABLE ticket_counters (
            kiosk_letter  TEXT    NOT NULL,
            service_code  TEXT    NOT NULL,
            service_day   TEXT    NOT NULL,  -- local day, yyyy-mm-dd
            last_sequence INTEGER NOT NULL,
            PRIMARY KEY (kiosk_letter, service_code, service_day)
        );
        CREATE TABLE tickets (
            reference      TEXT    NOT NULL PRIMARY KEY,
            display_number TEXT    NOT NULL,
            service_code   TEXT    NOT NULL,
            service_day    TEXT    NOT NULL,  -- local day, yyyy-mm-dd
            sequence       INTEGER NOT NULL,
            kiosk_letter   TEXT    NOT NULL,
            site_id        TEXT    NOT NULL,
            kiosk_id       TEXT    NOT NULL,
            issued_at      INTEGER NOT NULL,  -- unix ms
            UNIQUE (kiosk_letter, service_code, service_day, sequence)
        );
    )sql",
    // 2: the outbox the HIS sync drains.
    R"sql(
        CREATE TABLE outbox (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            aggregate_type  TEXT    NOT NULL,
            aggregate_id    TEXT    NOT NULL,
            operation       TEXT    NOT NULL,
            identifier      TEXT    NOT NULL UNIQUE,
            payload         TEXT    NOT NULL,  -- JSON
            created_at      INTEGER NOT NULL,  -- unix ms
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL DEFAULT 0,  -- unix ms
            last_error      TEXT
        );
        CREATE INDEX outbox_aggregate ON outbox (aggregate_type, aggregate_id);
    )sql",
    // 3: dead letters of the HIS sync (rows the HIS refused, kept for staff) and the sync engine's state.
    R"sql(
        CREATE TABLE outbox_dead (
            id             INTEGER PRIMARY KEY AUTOINCREMENT,
            outbox_id      INTEGER NOT NULL,  -- its id in the outbox
            aggregate_type TEXT    NOT NULL,
            aggregate_id   TEXT    NOT NULL,
            operation      TEXT    NOT NULL,
            identifier     TEXT    NOT NULL,
            payload        TEXT    NOT NULL,  -- JSON, as it was in the outbox
            created_at     INTEGER NOT NULL,  -- unix ms
            attempts       INTEGER NOT NULL,  -- deliveries tried, the last one included
            failed_at      INTEGER NOT NULL,  -- unix ms
            reason         TEXT    NOT NULL
        );
        CREATE TABLE sync_state (
            key        TEXT    PRIMARY KEY,
            value      TEXT    NOT NULL,
            updated_at INTEGER NOT NULL  -- unix ms
        );
    )sql",
    // 4: what the kiosk downloads from the HIS. Reference data (Organization, Location, HealthcareService,
    // Practitioner, PractitionerRole, Schedule, Slot) as FHIR JSON with a few columns lifted out for
    // queries; each resource type's download cursor lives in sync_state ("cursor.<Type>"), written in the
    // same transaction as the page it came with. Patients found in the HIS by identifier are cached so a
    // returning patient is recognised while the HIS is down.
    R"sql(
        CREATE TABLE reference_resources (
            resource_type TEXT NOT NULL,
            id            TEXT NOT NULL,   -- the HIS's logical id
            version_id    TEXT,            -- meta.versionId
            last_updated  TEXT,            -- meta.lastUpdated, as the server wrote it
            status        TEXT,            -- Slot.status, or "active"/"inactive" from .active
            starts_at     TEXT,            -- Slot.start
            ends_at       TEXT,            -- Slot.end
            parent_ref    TEXT,            -- Slot.schedule, PractitionerRole.practitioner, ... ("Type/id")
            json          TEXT NOT NULL,
            PRIMARY KEY (resource_type, id)
        );
        CREATE INDEX reference_slots ON reference_resources (resource_type, parent_ref, starts_at);
        CREATE TABLE his_patients (
            fhir_id    TEXT    PRIMARY KEY,
            json       TEXT    NOT NULL,
            fetched_at INTEGER NOT NULL  -- unix ms
        );
        CREATE TABLE his_patient_identifiers (
            system  TEXT NOT NULL,
            value   TEXT NOT NULL,
            fhir_id TEXT NOT NULL REFERENCES his_patients (fhir_id) ON DELETE CASCADE,
            PRIMARY KEY (system, value, fhir_id)
        );
    )sql",
    // 5: patients who registered at this kiosk (PatientRegistry), numbered per (kiosk letter, local day) by
    // a durable counter of their own, so a number is never reissued (not after a restart, and not after
    // the delivered registrations were forgotten). Absent details are NULL. The index on outbox_dead lets
    // the registry see cheaply whether a registration's delivery ended up there.
    R"sql(
        CREATE TABLE kiosk_patient_counters (
            kiosk_letter  TEXT    NOT NULL,
            register_day  TEXT    NOT NULL,  -- local day, yyyy-mm-dd
            last_sequence INTEGER NOT NULL,
            PRIMARY KEY (kiosk_letter, register_day)
        );
        CREATE TABLE kiosk_patients (
            kiosk_patient_id TEXT    NOT NULL PRIMARY KEY,
            cccd             TEXT,              -- 12-digit citizen-ID number
            bhyt             TEXT,              -- health-insurance card code, normalised
            full_name        TEXT    NOT NULL,
            birth_date       TEXT,              -- yyyy-mm-dd
            sex              TEXT    NOT NULL CHECK (sex IN ('unknown', 'male', 'female')),
            address          TEXT,
            phone            TEXT,
            registered_at    INTEGER NOT NULL,  -- unix ms
            CHECK (cccd IS NOT NULL OR bhyt IS NOT NULL)
        );
        CREATE INDEX kiosk_patients_cccd ON kiosk_patients (cccd);
        CREATE INDEX kiosk_patients_bhyt ON kiosk_patients (bhyt);
        CREATE INDEX outbox_dead_aggregate ON outbox_dead (aggregate_type, aggregate_id);
    )sql",
    // 6: resumable full scans of the reference data. A full scan (reconciliation) of a type may take several
    // runs: its progress is kept in reference_scans (one row per type, written in the same transaction as
    // each page), and every cached resource the scan received, changed or not, is marked with the scan's id
    // (seen_scan), so at its end the rows it did not see are the ones to check with the server. scan_id is
    // AUTOINCREMENT: a scan started after an abandoned one (or a reset) never reuses its id.
    R"sql(
        CREATE TABLE reference_scans (
            scan_id       INTEGER PRIMARY KEY AUTOINCREMENT,
            resource_type TEXT    NOT NULL UNIQUE,
            reason        TEXT    NOT NULL,            -- why the scan started ("first download", ...)
            started_at    INTEGER NOT NULL,            -- unix ms, kiosk clock
            expected      INTEGER,                     -- the server's total at the first page, if given
            bound         TEXT,                        -- keyset bound: meta.lastUpdated to continue from
            link          TEXT,                        -- link[next] of the last page stored
            by_link       INTEGER NOT NULL DEFAULT 0,  -- 1: the next request is `link`, not the keyset query
            follow_links  INTEGER NOT NULL DEFAULT 0,  -- 1: the server does not sort or refused keyset queries
            newest        TEXT,                        -- newest meta.lastUpdated received by the scan
            listed        INTEGER NOT NULL DEFAULT 0,  -- 1: every page received; the id check is left
            pages         INTEGER NOT NULL DEFAULT 0,  -- search pages stored by the scan
            updated_at    INTEGER NOT NULL             -- unix ms
        );
        ALTER TABLE reference_resources ADD COLUMN seen_scan INTEGER;  -- reference_scans.scan_id
    )sql",
    // 7: dependencies between outbox records (Outbox). A record that refers to another (a ticket for a
    // patient registered at the kiosk) names it in depends_on and is not sent before it; what the HIS
    // called each delivered record ("Patient/123") is kept in outbox_delivered, so the record that refers
    // to it can use the HIS's id. Delivered records are forgotten with the patient retention.
    R"sql(
        ALTER TABLE outbox ADD COLUMN depends_on INTEGER;       -- outbox id of the record it waits for
        ALTER TABLE outbox_dead ADD COLUMN depends_on INTEGER;  -- as it was in the outbox
        CREATE INDEX outbox_depends_on ON outbox (depends_on);
        CREATE TABLE outbox_delivered (
            outbox_id      INTEGER NOT NULL PRIMARY KEY,  -- its id in the outbox (never reused)
            aggregate_type TEXT    NOT NULL,
            aggregate_id   TEXT    NOT NULL,
            identifier     TEXT    NOT NULL,
            resource       TEXT    NOT NULL,  -- "<type>/<HIS id>"; "" when the HIS named none
            delivered_at   INTEGER NOT NULL   -- unix ms
        );
        CREATE INDEX outbox_delivered_aggregate ON outbox_delivered (aggregate_type, aggregate_id);
        CREATE INDEX outbox_dead_outbox_id ON outbox_dead (outbox_id);
    )sql",
    // 8: payments by VietQR code (PaymentLedger): each code shown, what it paid for, and how it ended. A
    // payment still waiting when the patient left is asked about in the background until watch_until.
    R"sql(
        CREATE TABLE payments (
            key            TEXT    NOT NULL PRIMARY KEY,  -- the flow's id of the code shown
            patient_his_id TEXT    NOT NULL,              -- FHIR Patient id
            bill_ids       TEXT    NOT NULL,              -- JSON array of FHIR Invoice ids
            bill_numbers   TEXT    NOT NULL,              -- JSON array of the bills' numbers
            reference      TEXT    NOT NULL,              -- VietQR 62-01
            amount_vnd     INTEGER NOT NULL,
            shown_at       INTEGER NOT NULL,              -- unix ms
            watch_until    INTEGER NOT NULL,              -- unix ms
            state          TEXT    NOT NULL CHECK (state IN ('waiting', 'paid', 'stopped', 'unconfirmed')),
            settled_at     INTEGER                        -- unix ms, when state left 'waiting'
        );
        CREATE INDEX payments_waiting ON payments (state, watch_until);
    )sql",
    // 9: the last bills the HIS listed for each patient (BillCache), shown (not payable) while it cannot be
    // asked. Personal data: forgotten with the patient retention.
    R"sql(
        CREATE TABLE bill_cache (
            patient_his_id TEXT    NOT NULL PRIMARY KEY,  -- FHIR Patient id
            bills          TEXT    NOT NULL,              -- JSON array of the payable bills
            fetched_at     INTEGER NOT NULL               -- unix ms
        );
    )sql",
};

static_assert(detail::kApplicationId == 1263095635, "migration 1 writes the application id literally");

int read_user_version(Database& db) {
    detail::Statement st(db, "PRAGMA user_version");
    if (!st.step())
        throw StoreError("PRAGMA user_version returned nothing on database " + db.path().string());
    return static_cast<int>(st.column_int64(0));
}

} // namespace

StoreError detail::newer_schema_error(const std::string& path, int version, int latest) {
    return StoreError("database " + path + " has schema version " + std::to_string(version) +
                      ", newer than this kiosk build (" + std::to_string(latest) + "); refusing to touch it");
}

int latest_schema_version() {
    return static_cast<int>(std::size(kMigrations));
}

void migrate(Database& db, int target) {
    const std::string path = db.path().string();
    const int latest = latest_schema_version();
    if (target == -1) target = latest;
    if (target < 0 || target > latest)
        throw StoreError("cannot migrate database " + path + " to schema version " + std::to_string(target) +
                         ": this kiosk build knows versions 0 to " + std::to_string(latest));

    // One transaction per migration. The version is read inside the write transaction, so two processes
    // opening the same file at once cannot both apply a migration.
    for (;;) {
        detail::Transaction tx(db);
        const int current = read_user_version(db);
        if (current > latest) throw detail::newer_schema_error(path, current, latest);
        if (current >= target) {
            tx.commit();
            return;
        }
        const int next = current + 1;
        try {
            detail::exec_sql(db.handle(), path, kMigrations[next - 1]);
            // A pragma takes no bound parameters; `next` is our own migration number, not data.
            const std::string set_version = "PRAGMA user_version = " + std::to_string(next);
            detail::exec_sql(db.handle(), path, set_version.c_str());
            tx.commit();
        } catch (const StoreError& e) {
            throw StoreError("migration " + std::to_string(next) + " of database " + path +
                             " failed and was rolled back (the file stays at schema version " +
                             std::to_string(current) + "): " + e.what());
        }
    }
}

} // namespace kiosk::store
