#include "kiosk/store/database.hpp"
#include "kiosk/store/outbox.hpp"
#include "kiosk/store/patient_cache.hpp"
#include "kiosk/store/patient_registry.hpp"
#include "kiosk/store/reference_cache.hpp"
#include "kiosk/store/statement.hpp"
#include "kiosk/store/sync_state.hpp"
#include "kiosk/store/ticket_store.hpp"
#include "store/store_test_support.hpp"
#include "temp_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kiosk::store {
namespace {

namespace fs = std::filesystem;
using test::query_int;
using test::query_text;
using test::read_bytes;
using test::store_error_of;
using test::TempDir;
using test::write_bytes;
using ::testing::HasSubstr;

bool table_exists(const Database& db, const char* name) {
    return query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", name) == 1;
}

// Names of the files in `dir` (to see that a refused open left no -wal/-shm/-journal behind).
std::vector<std::string> files_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir))
        names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// A day and kiosk used to seed old-version databases: kiosk letter B, service KBH, 2026-11-24 (+07:00).
constexpr const char* kSeedReference = "BVDK-QN-20261124-KBH-B007";
constexpr std::int64_t kSeedSequence = 7;
// An earlier ticket of the same day whose outbox row has already failed to reach the HIS twice.
constexpr const char* kRetriedReference = "BVDK-QN-20261124-KBH-B006";
constexpr int kRetriedAttempts = 2;
constexpr const char* kRetriedError = "HIS unreachable: connection refused";
// A dead letter and a sync state value, as a kiosk at schema version 3 leaves them.
constexpr const char* kDeadReference = "BVDK-QN-20261124-KBH-B005";
constexpr const char* kDeadReason = "HIS rejected it: 422 Unprocessable Entity";
constexpr const char* kSyncKey = "his.last_success_at";
constexpr const char* kSyncValue = "2026-11-24T07:55:00+07:00";
// A patient the HIS found, cached by a kiosk at schema version 4.
constexpr const char* kCachedFhirId = "p-seed";
constexpr const char* kCachedCccd = "079190000001";
// A patient registered at a kiosk at schema version 5 whose outbox row was delivered: the third of the
// seed day (so the next registration that day is the fourth).
constexpr const char* kRegisteredId = "BVDK-QN-20261124-P-B0003";
constexpr const char* kRegisteredCccd = "052185004321";
constexpr std::int64_t kRegisteredSequence = 3;
// A Slot downloaded by a kiosk at schema version 4, with its cursor.
constexpr const char* kCachedSlotId = "slot-seed";
constexpr const char* kSlotCursor = "2026-11-24T00:59:00.000Z";
// A full scan of the Slots half-way, as a kiosk at schema version 6 leaves it between two runs: the seeded
// slot was received by it.
constexpr const char* kScanBound = "2026-11-24T00:30:00.000Z";

core::UnixMillis seed_issued_at() {
    return test::utc_ms(2026, 11, 24, 1, 0, 0);
}
core::UnixMillis retried_issued_at() {
    return test::utc_ms(2026, 11, 24, 0, 55, 0);
}
core::UnixMillis retried_next_attempt_at() {
    return test::utc_ms(2026, 11, 24, 1, 5, 0);
}

std::string seed_payload(const char* reference) {
    return std::string(R"({"reference":")") + reference + R"(","service_code":"KBH"})";
}

// Inserts rows that are valid at schema version `version` (and were written by that version's kiosk).
void seed_at_version(const Database& db, int version) {
    if (version >= 1) {
        detail::Statement counter(db, "INSERT INTO ticket_counters (kiosk_letter, service_code, service_day, "
                                      "last_sequence) VALUES ('B', 'KBH', '2026-11-24', ?1)");
        counter.bind_int64(1, kSeedSequence);
        counter.run();
        detail::Statement ticket(db,
                                 "INSERT INTO tickets (reference, display_number, service_code, service_day, "
                                 "sequence, kiosk_letter, site_id, kiosk_id, issued_at) "
                                 "VALUES (?1, ?2, 'KBH', '2026-11-24', ?3, 'B', 'BVDK-QN', 'SANH-A-01', ?4)");
        ticket.bind_text(1, kRetriedReference)
            .bind_text(2, "AB-006")
            .bind_int64(3, kSeedSequence - 1)
            .bind_int64(4, retried_issued_at());
        ticket.run();
        ticket.reset();
        ticket.bind_text(1, kSeedReference)
            .bind_text(2, "AB-007")
            .bind_int64(3, kSeedSequence)
            .bind_int64(4, seed_issued_at());
        ticket.run();
    }
    if (version >= 2) {
        // The older row has been retried (a later sync engine at version 2 would have written these
        // columns); the newer one is as issue() wrote it.
        detail::Statement retried(db,
                                  "INSERT INTO outbox (aggregate_type, aggregate_id, operation, identifier, "
                                  "payload, created_at, attempts, next_attempt_at, last_error) "
                                  "VALUES ('ticket', ?1, 'create', ?1, ?2, ?3, ?4, ?5, ?6)");
        retried.bind_text(1, kRetriedReference)
            .bind_text(2, seed_payload(kRetriedReference))
            .bind_int64(3, retried_issued_at())
            .bind_int64(4, kRetriedAttempts)
            .bind_int64(5, retried_next_attempt_at())
            .bind_text(6, kRetriedError);
        retried.run();
        detail::Statement fresh(db,
                                "INSERT INTO outbox (aggregate_type, aggregate_id, operation, identifier, "
                                "payload, created_at) VALUES ('ticket', ?1, 'create', ?1, ?2, ?3)");
        fresh.bind_text(1, kSeedReference)
            .bind_text(2, seed_payload(kSeedReference))
            .bind_int64(3, seed_issued_at());
        fresh.run();
    }
    if (version >= 3) {
        // A third outbox row that the HIS refused, moved to the dead letters as quarantine() does.
        detail::Statement row(db, "INSERT INTO outbox (aggregate_type, aggregate_id, operation, identifier, "
                                  "payload, created_at) VALUES ('ticket', ?1, 'create', ?1, ?2, ?3)");
        row.bind_text(1, kDeadReference)
            .bind_text(2, seed_payload(kDeadReference))
            .bind_int64(3, test::utc_ms(2026, 11, 24, 0, 50, 0));
        row.run();
        detail::Statement dead(db,
                               "INSERT INTO outbox_dead (outbox_id, aggregate_type, aggregate_id, operation, "
                               "identifier, payload, created_at, attempts, failed_at, reason) "
                               "SELECT id, aggregate_type, aggregate_id, operation, identifier, payload, "
                               "created_at, attempts + 1, ?2, ?3 FROM outbox WHERE identifier = ?1");
        dead.bind_text(1, kDeadReference)
            .bind_int64(2, test::utc_ms(2026, 11, 24, 0, 51, 0))
            .bind_text(3, kDeadReason);
        dead.run();
        detail::Statement remove(db, "DELETE FROM outbox WHERE identifier = ?1");
        remove.bind_text(1, kDeadReference);
        remove.run();
        detail::Statement state(db, "INSERT INTO sync_state (key, value, updated_at) VALUES (?1, ?2, ?3)");
        state.bind_text(1, kSyncKey)
            .bind_text(2, kSyncValue)
            .bind_int64(3, test::utc_ms(2026, 11, 24, 0, 55, 0));
        state.run();
    }
    if (version >= 4) {
        detail::Statement patient(db,
                                  "INSERT INTO his_patients (fhir_id, json, fetched_at) VALUES (?1, ?2, ?3)");
        patient.bind_text(1, kCachedFhirId)
            .bind_text(2, R"({"resourceType":"Patient","id":"p-seed"})")
            .bind_int64(3, seed_issued_at());
        patient.run();
        detail::Statement id(db, "INSERT INTO his_patient_identifiers (system, value, fhir_id) "
                                 "VALUES ('urn:kiosk:vn:cccd', ?1, ?2)");
        id.bind_text(1, kCachedCccd).bind_text(2, kCachedFhirId);
        id.run();
        detail::Statement slot(db,
                               "INSERT INTO reference_resources (resource_type, id, version_id, "
                               "last_updated, status, starts_at, ends_at, parent_ref, json) VALUES ('Slot', "
                               "?1, '1', ?2, 'free', '2026-11-25T08:00:00+07:00', "
                               "'2026-11-25T08:15:00+07:00', 'Schedule/1', ?3)");
        slot.bind_text(1, kCachedSlotId)
            .bind_text(2, kSlotCursor)
            .bind_text(3, R"({"resourceType":"Slot","id":"slot-seed"})");
        slot.run();
        detail::Statement cursor(
            db, "INSERT INTO sync_state (key, value, updated_at) VALUES ('cursor.Slot', ?1, ?2)");
        cursor.bind_text(1, kSlotCursor).bind_int64(2, seed_issued_at());
        cursor.run();
    }
    if (version >= 5) {
        detail::Statement counter(db, "INSERT INTO kiosk_patient_counters (kiosk_letter, register_day, "
                                      "last_sequence) VALUES ('B', '2026-11-24', ?1)");
        counter.bind_int64(1, kRegisteredSequence);
        counter.run();
        detail::Statement patient(db, "INSERT INTO kiosk_patients (kiosk_patient_id, cccd, bhyt, full_name, "
                                      "birth_date, sex, address, phone, registered_at) "
                                      "VALUES (?1, ?2, NULL, 'Trần Thị Hoa', '1985-02-03', 'female', NULL, "
                                      "'0912345678', ?3)");
        patient.bind_text(1, kRegisteredId).bind_text(2, kRegisteredCccd).bind_int64(3, seed_issued_at());
        patient.run();
    }
    if (version >= 6) {
        detail::Statement scan(db,
                               "INSERT INTO reference_scans (resource_type, reason, started_at, expected, "
                               "bound, link, newest, pages, updated_at) VALUES ('Slot', "
                               "'periodic reconciliation', ?1, 40, ?2, 'http://his/fhir/R4/Slot?_offset=6', "
                               "?2, 3, ?1)");
        scan.bind_int64(1, seed_issued_at()).bind_text(2, kScanBound);
        scan.run();
        detail::Statement seen(db, "UPDATE reference_resources SET seen_scan = "
                                   "(SELECT scan_id FROM reference_scans WHERE resource_type = 'Slot') "
                                   "WHERE resource_type = 'Slot' AND id = ?1");
        seen.bind_text(1, kCachedSlotId);
        seen.run();
    }
}

TEST(DatabaseTest, FreshFileIsAtLatestSchemaWithWalAndFullSync) {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    auto db = Database::open(file);

    EXPECT_TRUE(fs::exists(file));
    EXPECT_EQ(db.path(), file);
    EXPECT_GE(latest_schema_version(), 3);
    EXPECT_EQ(db.schema_version(), latest_schema_version());
    EXPECT_EQ(query_text(db, "PRAGMA journal_mode"), "wal");
    EXPECT_EQ(query_int(db, "PRAGMA synchronous"), 2); // FULL
    EXPECT_EQ(query_int(db, "PRAGMA foreign_keys"), 1);
    EXPECT_EQ(query_int(db, "PRAGMA application_id"), detail::kApplicationId);
    EXPECT_TRUE(table_exists(db, "ticket_counters"));
    EXPECT_TRUE(table_exists(db, "tickets"));
    EXPECT_TRUE(table_exists(db, "outbox"));
    EXPECT_TRUE(table_exists(db, "outbox_dead"));
    EXPECT_TRUE(table_exists(db, "sync_state"));
    EXPECT_TRUE(table_exists(db, "kiosk_patients"));
    EXPECT_TRUE(table_exists(db, "kiosk_patient_counters"));
    EXPECT_TRUE(table_exists(db, "reference_scans"));
}

TEST(DatabaseTest, ReopeningAnUpToDateFileKeepsItsData) {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    {
        auto db = Database::open(file);
        seed_at_version(db, latest_schema_version());
    }
    auto db = Database::open(file);
    EXPECT_EQ(db.schema_version(), latest_schema_version());
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM tickets"), 2);
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM outbox"), 2);
    Outbox outbox(db);
    EXPECT_EQ(outbox.dead_count(), 1);
    const auto dead = outbox.dead_letters(10);
    ASSERT_EQ(dead.size(), 1U);
    EXPECT_EQ(dead[0].identifier, kDeadReference);
    EXPECT_EQ(dead[0].reason, kDeadReason);
    EXPECT_EQ(SyncState(db).get(kSyncKey), kSyncValue);
    EXPECT_EQ(PatientCache(db).find("urn:kiosk:vn:cccd", kCachedCccd).size(), 1U);
    const auto registered = PatientRegistry(db).find_by_cccd(kRegisteredCccd);
    ASSERT_EQ(registered.size(), 1U);
    EXPECT_EQ(registered[0].kiosk_patient_id, kRegisteredId);
    EXPECT_EQ(registered[0].details.full_name, "Trần Thị Hoa");
    EXPECT_EQ(registered[0].details.birth_date, (core::LocalDate{1985, 2, 3}));
    EXPECT_EQ(registered[0].details.sex, core::Sex::Female);
    EXPECT_EQ(registered[0].details.bhyt, "");
    EXPECT_EQ(registered[0].registered_at, seed_issued_at());
    ReferenceCache cache(db);
    EXPECT_EQ(cache.cursor("Slot"), kSlotCursor);
    const auto scan = cache.scan("Slot");
    ASSERT_TRUE(scan.has_value());
    EXPECT_EQ(scan->reason, "periodic reconciliation");
    EXPECT_EQ(scan->started_at, seed_issued_at());
    EXPECT_EQ(scan->expected, 40);
    EXPECT_EQ(scan->bound, kScanBound);
    EXPECT_EQ(scan->link, "http://his/fhir/R4/Slot?_offset=6");
    EXPECT_FALSE(scan->by_link);
    EXPECT_FALSE(scan->listed);
    EXPECT_EQ(scan->pages, 3);
    EXPECT_EQ(cache.seen_count("Slot", scan->scan_id), 1);
    EXPECT_TRUE(cache.unseen_ids("Slot", scan->scan_id).empty());
}

TEST(DatabaseTest, MigratesFromEveryEarlierVersion) {
    TempDir dir;
    const auto kiosk = test::kiosk_b();
    const auto kbh = test::service_kbh();
    const auto same_day = test::utc_ms(2026, 11, 24, 2, 0, 0); // 09:00 local, same day as the seed
    for (int v = 0; v < latest_schema_version(); ++v) {
        SCOPED_TRACE("starting at schema version " + std::to_string(v));
        const auto file = dir / ("kiosk-v" + std::to_string(v) + ".db");
        {
            auto db = Database::open_unmigrated(file);
            migrate(db, v);
            ASSERT_EQ(db.schema_version(), v);
            ASSERT_EQ(table_exists(db, "tickets"), v >= 1);
            ASSERT_EQ(table_exists(db, "outbox"), v >= 2);
            ASSERT_EQ(table_exists(db, "outbox_dead"), v >= 3);
            ASSERT_EQ(table_exists(db, "sync_state"), v >= 3);
            ASSERT_EQ(table_exists(db, "his_patients"), v >= 4);
            ASSERT_EQ(table_exists(db, "kiosk_patients"), v >= 5);
            ASSERT_EQ(table_exists(db, "kiosk_patient_counters"), v >= 5);
            ASSERT_EQ(table_exists(db, "reference_scans"), v >= 6);
            ASSERT_EQ(table_exists(db, "outbox_delivered"), v >= 7);
            seed_at_version(db, v);
        }

        auto db = Database::open(file);
        EXPECT_EQ(db.schema_version(), latest_schema_version());
        EXPECT_TRUE(table_exists(db, "outbox_delivered"));
        TicketStore store(db);
        Outbox outbox(db);
        SyncState state(db);
        if (v >= 1) {
            const auto old = store.find(kSeedReference);
            ASSERT_TRUE(old.has_value());
            EXPECT_EQ(old->sequence, kSeedSequence);
            EXPECT_EQ(old->display_number, "AB-007");
            EXPECT_TRUE(store.find(kRetriedReference).has_value());
        }
        const std::int64_t tickets_before = store.count();
        const std::int64_t outbox_before = outbox.count();
        EXPECT_EQ(tickets_before, v >= 1 ? 2 : 0);
        EXPECT_EQ(outbox_before, v >= 2 ? 2 : 0);
        const std::int64_t dead_before = v >= 3 ? 1 : 0; // the seed at version 3 has one dead letter
        EXPECT_EQ(outbox.dead_count(), dead_before);
        EXPECT_EQ(state.get(kSyncKey).has_value(), v >= 3);
        ASSERT_EQ(table_exists(db, "reference_resources"), true);
        ASSERT_EQ(table_exists(db, "his_patients"), true);
        ASSERT_EQ(table_exists(db, "kiosk_patients"), true);
        EXPECT_EQ(PatientCache(db).find("urn:kiosk:vn:cccd", kCachedCccd).size(), v >= 4 ? 1U : 0U);

        if (v >= 2) {
            // The outbox rows came through the migration column for column, and the new operations
            // read them: the retried row waits for its next attempt, the fresh one is due at once.
            const auto rows = outbox.peek(10);
            ASSERT_EQ(rows.size(), 2U);
            EXPECT_EQ(rows[0].identifier, kRetriedReference);
            EXPECT_EQ(rows[0].aggregate_type, "ticket");
            EXPECT_EQ(rows[0].aggregate_id, kRetriedReference);
            EXPECT_EQ(rows[0].operation, "create");
            EXPECT_EQ(rows[0].payload_json, seed_payload(kRetriedReference));
            EXPECT_EQ(rows[0].created_at, retried_issued_at());
            EXPECT_EQ(rows[0].attempts, kRetriedAttempts);
            EXPECT_EQ(rows[0].next_attempt_at, retried_next_attempt_at());
            EXPECT_EQ(rows[0].last_error, kRetriedError);
            EXPECT_EQ(rows[1].identifier, kSeedReference);
            EXPECT_EQ(rows[1].payload_json, seed_payload(kSeedReference));
            EXPECT_EQ(rows[1].created_at, seed_issued_at());
            EXPECT_EQ(rows[1].attempts, 0);
            EXPECT_EQ(rows[1].next_attempt_at, 0);
            EXPECT_EQ(rows[1].last_error, "");

            const auto due_early = outbox.due(retried_next_attempt_at() - 1, 10);
            ASSERT_EQ(due_early.size(), 1U);
            EXPECT_EQ(due_early[0].identifier, kSeedReference);
            EXPECT_EQ(outbox.due(retried_next_attempt_at(), 10).size(), 2U);
            EXPECT_EQ(outbox.next_due_at(), 0);
        }

        const auto t = store.issue(kiosk, kbh, same_day);
        EXPECT_EQ(t.sequence, v >= 1 ? kSeedSequence + 1 : 1);
        EXPECT_EQ(store.count(), tickets_before + 1);
        EXPECT_EQ(outbox.count(), outbox_before + 1);

        // The tables of migration 3 work on the migrated file.
        const auto fresh = outbox.peek(10).back();
        ASSERT_EQ(fresh.identifier, t.reference);
        test::quarantine(outbox, fresh.id, "test: rejected", same_day);
        EXPECT_EQ(outbox.count(), outbox_before);
        EXPECT_EQ(outbox.dead_count(), dead_before + 1);
        state.set(kSyncKey, kSyncValue, same_day);
        EXPECT_EQ(state.get(kSyncKey), kSyncValue);

        // Migration 5: registering works on the migrated file, in the same transaction as its outbox row.
        PatientRegistry registry(db);
        core::PatientDetails details;
        details.cccd = "079090001234";
        details.full_name = "Nguyễn Văn An";
        const auto p = registry.register_patient(kiosk, details, IdentifierSystems{}, same_day);
        // The seed at version 5 registered the third of the day.
        EXPECT_EQ(p.kiosk_patient_id, v >= 5 ? "BVDK-QN-20261124-P-B0004" : "BVDK-QN-20261124-P-B0001");
        EXPECT_EQ(registry.count(), v >= 5 ? 2 : 1);
        EXPECT_EQ(outbox.count(), outbox_before + 1);
        EXPECT_EQ(outbox.peek(10).back().identifier, p.kiosk_patient_id);

        // Migration 6: the cached reference data came through, with no scan in progress and nothing marked
        // as seen; a resumable full scan works on the migrated file.
        ASSERT_TRUE(table_exists(db, "reference_scans"));
        ReferenceCache cache(db);
        EXPECT_EQ(cache.count("Slot"), v >= 4 ? 1 : 0);
        EXPECT_EQ(cache.cursor("Slot"), v >= 4 ? std::optional<std::string>(kSlotCursor) : std::nullopt);
        if (v >= 4) {
            const auto row = cache.find("Slot", kCachedSlotId);
            ASSERT_TRUE(row.has_value());
            EXPECT_EQ(row->status, "free");
            EXPECT_EQ(row->parent_ref, "Schedule/1");
            // At version 6 a scan was half-way and had seen the Slot: later migrations keep both.
            EXPECT_EQ(query_int(db, "SELECT count(*) FROM reference_resources WHERE seen_scan IS NULL"),
                      v >= 6 ? 0 : 1);
        }
        if (v >= 6) {
            const auto kept = cache.scan("Slot");
            ASSERT_TRUE(kept.has_value());
            EXPECT_EQ(kept->bound, std::optional<std::string>(kScanBound));
            EXPECT_EQ(kept->pages, 3);
        } else {
            EXPECT_EQ(cache.scan("Slot"), std::nullopt);
        }
        const auto scan = cache.begin_scan("Slot", "first download", same_day);
        EXPECT_EQ(cache.unseen_ids("Slot", scan.scan_id).size(), v >= 4 ? 1U : 0U);
        cache.apply_scan_page(scan, {}, {kCachedSlotId}, {}, same_day);
        EXPECT_TRUE(cache.unseen_ids("Slot", scan.scan_id).empty());
        EXPECT_EQ(cache.seen_count("Slot", scan.scan_id), v >= 4 ? 1 : 0);
        cache.finish_reconciliation("Slot", {}, {}, std::nullopt, same_day);
        EXPECT_EQ(cache.scan("Slot"), std::nullopt);
        EXPECT_EQ(cache.reconciled_at("Slot"), same_day);
    }
}

TEST(DatabaseTest, MigrationFiveKeepsTheCounterOfAKioskAtVersionFive) {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    {
        auto db = Database::open(file);
        seed_at_version(db, 5);
    }
    auto db = Database::open(file);
    core::PatientDetails details;
    details.bhyt = "DN4797915000001";
    details.full_name = "Lê Minh";
    const auto p = PatientRegistry(db).register_patient(test::kiosk_b(), details, IdentifierSystems{},
                                                        test::utc_ms(2026, 11, 24, 2, 0, 0));
    EXPECT_EQ(p.kiosk_patient_id, "BVDK-QN-20261124-P-B0004");
}

TEST(DatabaseTest, FailedMigrationFiveIsRolledBackAndKeepsTheData) {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    auto db = Database::open_unmigrated(file);
    migrate(db, 4);
    seed_at_version(db, 4);
    // Migration 5 creates kiosk_patient_counters and then kiosk_patients: with a kiosk_patients already
    // there, it fails after the counters table was created, so only a real rollback leaves none behind.
    db.exec("CREATE TABLE kiosk_patients (x)");

    const auto msg = store_error_of([&] { migrate(db); });
    EXPECT_THAT(msg, HasSubstr("migration 5"));
    EXPECT_THAT(msg, HasSubstr(file.string()));
    EXPECT_EQ(db.schema_version(), 4);
    EXPECT_FALSE(table_exists(db, "kiosk_patient_counters"));
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM outbox"), 2);
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM his_patients"), 1);
    EXPECT_EQ(sqlite3_get_autocommit(db.handle()), 1) << "a transaction was left open";

    db.exec("DROP TABLE kiosk_patients");
    migrate(db);
    EXPECT_EQ(db.schema_version(), latest_schema_version());
    EXPECT_TRUE(table_exists(db, "kiosk_patient_counters"));
    EXPECT_EQ(PatientRegistry(db).count(), 0);
}

TEST(DatabaseTest, FailedMigrationSixIsRolledBackAndKeepsTheCache) {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    auto db = Database::open_unmigrated(file);
    migrate(db, 5);
    seed_at_version(db, 5);
    // Migration 6 creates reference_scans and then adds seen_scan to reference_resources: with the column
    // already there, it fails after the table was created, so only a real rollback leaves none behind.
    db.exec("ALTER TABLE reference_resources ADD COLUMN seen_scan TEXT");

    const auto msg = store_error_of([&] { migrate(db); });
    EXPECT_THAT(msg, HasSubstr("migration 6"));
    EXPECT_THAT(msg, HasSubstr(file.string()));
    EXPECT_EQ(db.schema_version(), 5);
    EXPECT_FALSE(table_exists(db, "reference_scans"));
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM reference_resources"), 1);
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM kiosk_patients"), 1);
    EXPECT_EQ(sqlite3_get_autocommit(db.handle()), 1) << "a transaction was left open";
    EXPECT_THROW(ReferenceCache cache(db), StoreError) << "the cache needs migration 6";

    db.exec("ALTER TABLE reference_resources DROP COLUMN seen_scan");
    migrate(db);
    EXPECT_EQ(db.schema_version(), latest_schema_version());
    ReferenceCache cache(db);
    EXPECT_EQ(cache.count("Slot"), 1);
    EXPECT_EQ(cache.scan("Slot"), std::nullopt);
}

TEST(DatabaseTest, FailedMigrationThreeIsRolledBackAndKeepsTheOutbox) {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    auto db = Database::open_unmigrated(file);
    migrate(db, 2);
    seed_at_version(db, 2);
    // Migration 3 creates outbox_dead and then sync_state: with a sync_state already there, it fails after
    // outbox_dead was created, so only a real rollback leaves no outbox_dead behind.
    db.exec("CREATE TABLE sync_state (x)");

    const auto msg = store_error_of([&] { migrate(db); });
    EXPECT_THAT(msg, HasSubstr("migration 3"));
    EXPECT_THAT(msg, HasSubstr(file.string()));
    EXPECT_EQ(db.schema_version(), 2);
    EXPECT_FALSE(table_exists(db, "outbox_dead"));
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM outbox"), 2);
    EXPECT_EQ(sqlite3_get_autocommit(db.handle()), 1) << "a transaction was left open";

    db.exec("DROP TABLE sync_state");
    migrate(db);
    EXPECT_EQ(db.schema_version(), latest_schema_version());
    EXPECT_TRUE(table_exists(db, "outbox_dead"));
    EXPECT_EQ(Outbox(db).count(), 2);
}

TEST(DatabaseTest, FailedMigrationIsRolledBackAndNamed) {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    auto db = Database::open_unmigrated(file);
    migrate(db, 1);
    // Migration 2 creates the outbox table and then an index of this name: the index step fails after
    // the table was created, so only a real rollback leaves no outbox table behind.
    db.exec("CREATE INDEX outbox_aggregate ON tickets (service_code)");

    const auto msg = store_error_of([&] { migrate(db); });
    EXPECT_THAT(msg, HasSubstr("migration 2"));
    EXPECT_THAT(msg, HasSubstr(file.string()));
    EXPECT_EQ(db.schema_version(), 1);
    EXPECT_FALSE(table_exists(db, "outbox"));
    EXPECT_EQ(sqlite3_get_autocommit(db.handle()), 1) << "a transaction was left open";

    db.exec("DROP INDEX outbox_aggregate");
    migrate(db);
    EXPECT_EQ(db.schema_version(), latest_schema_version());
    EXPECT_TRUE(table_exists(db, "outbox"));
}

TEST(DatabaseTest, MigrateRejectsAnUnknownTarget) {
    TempDir dir;
    auto db = Database::open_unmigrated(dir / "kiosk.db");
    EXPECT_THAT(store_error_of([&] { migrate(db, latest_schema_version() + 1); }),
                HasSubstr("schema version"));
    EXPECT_THROW(migrate(db, -2), StoreError);
    EXPECT_EQ(db.schema_version(), 0);
}

TEST(DatabaseTest, NewerSchemaIsRefusedAndLeftUntouched) {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    const int newer = latest_schema_version() + 1;
    {
        auto db = Database::open(file);
        seed_at_version(db, latest_schema_version());
        db.exec("PRAGMA user_version = " + std::to_string(newer));
    }
    const auto before = read_bytes(file);
    const auto files_before = files_in(dir.path());

    const auto msg = store_error_of([&] { (void)Database::open(file); });
    EXPECT_THAT(msg, HasSubstr(file.string()));
    EXPECT_THAT(msg, HasSubstr("schema version " + std::to_string(newer)));
    EXPECT_THAT(msg,
                HasSubstr("newer than this kiosk build (" + std::to_string(latest_schema_version()) + ")"));
    EXPECT_THROW((void)Database::open_unmigrated(file), StoreError);

    EXPECT_EQ(read_bytes(file), before);
    EXPECT_EQ(files_in(dir.path()), files_before);
}

TEST(DatabaseTest, NewerSchemaWithAPendingWalIsNotCheckpointed) {
    TempDir dir;
    const auto live = dir / "live.db";
    const auto file = dir / "kiosk.db";
    const auto wal = dir / "kiosk.db-wal";
    {
        auto db = Database::open(live);
        seed_at_version(db, latest_schema_version());
        // While this connection is open the changes sit in live.db-wal; copying both files is what a
        // newer build that lost power leaves behind.
        db.exec("PRAGMA user_version = " + std::to_string(latest_schema_version() + 1));
        fs::copy_file(live, file);
        fs::copy_file(dir / "live.db-wal", wal);
    }
    const auto before = read_bytes(file);
    const auto wal_before = read_bytes(wal);
    ASSERT_FALSE(wal_before.empty());

    EXPECT_THAT(store_error_of([&] { (void)Database::open(file); }),
                HasSubstr("newer than this kiosk build"));
    EXPECT_EQ(read_bytes(file), before) << "the newer build's WAL was checkpointed into the file";
    ASSERT_TRUE(fs::exists(wal));
    EXPECT_EQ(read_bytes(wal), wal_before);
}

TEST(DatabaseTest, MigrateRefusesANewerSchema) {
    TempDir dir;
    auto db = Database::open(dir / "kiosk.db");
    const int newer = latest_schema_version() + 3;
    db.exec("PRAGMA user_version = " + std::to_string(newer));
    EXPECT_THAT(store_error_of([&] { migrate(db); }), HasSubstr("newer than this kiosk build"));
    EXPECT_EQ(db.schema_version(), newer);
}

TEST(DatabaseTest, GarbageFileIsRefusedAndLeftUntouched) {
    TempDir dir;
    std::string text;
    while (text.size() < 10 * 1024)
        text += "Phiếu khám bệnh — this is a text file, not a database. ";
    // Garbage that starts like SQLite gets past the header check and must be caught by SQLite itself.
    const std::string sqlite_like = std::string("SQLite format 3", 16) + text;

    for (const auto& [name, bytes] : {std::pair{"text.db", text}, std::pair{"sqlite-like.db", sqlite_like}}) {
        SCOPED_TRACE(name);
        const auto file = dir / name;
        write_bytes(file, bytes);
        const auto files_before = files_in(dir.path());

        const auto msg = store_error_of([&] { (void)Database::open(file); });
        EXPECT_THAT(msg, HasSubstr(file.string()));
        EXPECT_THAT(msg, HasSubstr("corrupt"));
        EXPECT_THAT(msg, HasSubstr("left untouched"));

        EXPECT_EQ(read_bytes(file), bytes);
        EXPECT_EQ(files_in(dir.path()), files_before);
    }
}

TEST(DatabaseTest, CorruptPageIsRefusedAndLeftUntouched) {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    std::int64_t page_size = 0;
    std::int64_t root = 0;
    {
        auto db = Database::open(file);
        TicketStore store(db);
        for (int i = 0; i < 300; ++i)
            store.issue(test::kiosk_b(), test::service_kbh(), test::utc_ms(2026, 11, 24, 1, 0, i));
        page_size = query_int(db, "PRAGMA page_size");
        root = query_int(db, "SELECT rootpage FROM sqlite_master WHERE name = 'tickets'");
    }
    ASSERT_GT(root, 1);
    // Overwrite the tickets table's root page (page 1, the schema, stays readable).
    auto bytes = read_bytes(file);
    const auto offset = static_cast<std::size_t>((root - 1) * page_size);
    ASSERT_LE(offset + static_cast<std::size_t>(page_size), bytes.size());
    for (std::size_t i = 0; i < static_cast<std::size_t>(page_size); ++i)
        bytes[offset + i] = 'X';
    write_bytes(file, bytes);
    const auto files_before = files_in(dir.path());

    const auto msg = store_error_of([&] { (void)Database::open(file); });
    EXPECT_THAT(msg, HasSubstr(file.string()));
    EXPECT_THAT(msg, HasSubstr("corrupt"));

    EXPECT_EQ(read_bytes(file), bytes);
    EXPECT_EQ(files_in(dir.path()), files_before);
}

TEST(DatabaseTest, OtherApplicationsDatabaseIsRefusedAndLeftUntouched) {
    TempDir dir;
    const auto file = dir / "contacts.db";
    {
        sqlite3* raw = nullptr;
        ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(raw, "CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('x');",
                               nullptr, nullptr, nullptr),
                  SQLITE_OK);
        sqlite3_close(raw);
    }
    const auto before = read_bytes(file);

    const auto msg = store_error_of([&] { (void)Database::open(file); });
    EXPECT_THAT(msg, HasSubstr(file.string()));
    EXPECT_THAT(msg, HasSubstr("not a kiosk database"));
    EXPECT_EQ(read_bytes(file), before);
}

TEST(DatabaseTest, UnwritableDirectoryIsReported) {
    if (geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
    TempDir dir;
    const auto data = dir / "data";
    fs::create_directory(data);
    fs::permissions(data, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                              fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
    const auto file = data / "kiosk.db";

    const auto msg = store_error_of([&] { (void)Database::open(file); });
    fs::permissions(data, fs::perms::owner_all, fs::perm_options::add);
    EXPECT_THAT(msg, HasSubstr("cannot open database " + file.string()));
    EXPECT_THAT(msg, HasSubstr("is the data dir writable?"));
    EXPECT_FALSE(fs::exists(file));
}

TEST(DatabaseTest, ExistingDatabaseInUnwritableDirectoryIsReportedAndLeftUntouched) {
    if (geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
    TempDir dir;
    const auto data = dir / "data";
    fs::create_directory(data);
    const auto file = data / "kiosk.db";
    {
        auto db = Database::open(file);
        seed_at_version(db, latest_schema_version());
    }
    const auto before = read_bytes(file);
    // WAL needs the -wal and -shm files next to the database, so the directory must be writable too.
    fs::permissions(data, fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                    fs::perm_options::remove);

    const auto msg = store_error_of([&] { (void)Database::open(file); });
    fs::permissions(data, fs::perms::owner_all, fs::perm_options::add);
    EXPECT_THAT(msg, HasSubstr(file.string()));
    EXPECT_THAT(msg, HasSubstr("is the data dir writable?"));
    EXPECT_EQ(read_bytes(file), before);
}

TEST(DatabaseTest, ParentThatIsARegularFileIsReported) {
    TempDir dir; // fails for root too: a regular file cannot hold files
    const auto not_a_dir = dir / "data";
    write_bytes(not_a_dir, "just a file\n");
    const auto file = not_a_dir / "kiosk.db";

    const auto msg = store_error_of([&] { (void)Database::open(file); });
    EXPECT_THAT(msg, HasSubstr("cannot open database " + file.string()));
    EXPECT_THAT(msg, HasSubstr("is the data dir writable?"));
    EXPECT_EQ(read_bytes(not_a_dir), "just a file\n");
}

TEST(DatabaseTest, MissingDirectoryIsReportedNotCreated) {
    TempDir dir;
    const auto file = dir / "missing" / "kiosk.db";
    EXPECT_THAT(store_error_of([&] { (void)Database::open(file); }),
                HasSubstr("cannot open database " + file.string()));
    EXPECT_FALSE(fs::exists(dir / "missing"));
}

TEST(DatabaseTest, MoveTransfersTheConnection) {
    TempDir dir;
    auto a = Database::open(dir / "a.db");
    sqlite3* handle = a.handle();
    Database b = std::move(a);
    EXPECT_EQ(a.handle(), nullptr); // NOLINT(bugprone-use-after-move): the moved-from state is the point
    EXPECT_EQ(b.handle(), handle);
    EXPECT_EQ(b.path(), dir / "a.db");

    auto c = Database::open(dir / "c.db");
    c = std::move(b);
    EXPECT_EQ(c.handle(), handle);
    EXPECT_EQ(c.path(), dir / "a.db");
    EXPECT_EQ(c.schema_version(), latest_schema_version());
}

TEST(DatabaseTest, ExecFailureNamesTheFile) {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    auto db = Database::open(file);
    const auto msg = store_error_of([&] { db.exec("SELECT * FROM no_such_table"); });
    EXPECT_THAT(msg, HasSubstr(file.string()));
    EXPECT_THAT(msg, HasSubstr("no such table"));
}

} // namespace
} // namespace kiosk::store
