#include "kiosk/store/reference_cache.hpp"
#include "kiosk/store/statement.hpp"
#include "store/store_test_support.hpp"
#include "temp_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace kiosk::store {

// Readable failure output for EXPECT_EQ on rows (found by argument-dependent lookup).
void PrintTo(const ReferenceRow& r, std::ostream* os) {
    *os << "{" << r.resource_type << "/" << r.id << " v'" << r.version_id << "' at '" << r.last_updated
        << "', status '" << r.status << "', " << r.starts_at << " - " << r.ends_at << ", parent '"
        << r.parent_ref << "', json " << r.json << "}";
}

namespace {

using test::query_int;
using test::TempDir;
using test::utc_ms;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

ReferenceRow slot(const std::string& id, const std::string& schedule, const std::string& start,
                  const std::string& status = "free") {
    ReferenceRow r;
    r.resource_type = "Slot";
    r.id = id;
    r.version_id = "v-" + id;
    r.last_updated = "2026-11-24T10:00:00.000Z";
    r.status = status;
    r.starts_at = start;
    r.ends_at = start; // not used by the queries
    r.parent_ref = schedule;
    r.json = R"({"resourceType":"Slot","id":")" + id + R"("})";
    return r;
}

ReferenceRow practitioner(const std::string& id, const std::string& version = "1") {
    ReferenceRow r;
    r.resource_type = "Practitioner";
    r.id = id;
    r.version_id = version;
    r.last_updated = "2026-11-24T09:00:00.123Z";
    r.status = "active";
    r.json = R"({"resourceType":"Practitioner","id":")" + id + R"("})";
    return r;
}

std::vector<std::string> ids_of(const std::vector<ReferenceRow>& rows) {
    std::vector<std::string> out;
    out.reserve(rows.size());
    for (const auto& r : rows)
        out.push_back(r.id);
    return out;
}

// Each test: its own directory and a real SQLite file.
class ReferenceCacheTest : public ::testing::Test {
protected:
    TempDir dir_;
    std::filesystem::path file_ = dir_ / "kiosk.db";
    std::optional<Database> db_{Database::open(file_)};
    std::optional<ReferenceCache> cache_{std::in_place, *db_};
    const core::UnixMillis now_ = utc_ms(2026, 11, 24, 1, 0, 0);

    void reopen() {
        cache_.reset();
        db_.reset();
        db_.emplace(Database::open(file_));
        cache_.emplace(*db_);
    }

    [[nodiscard]] bool in_transaction() const { return sqlite3_get_autocommit(db_->handle()) == 0; }

    std::string store_error_of_scan(const ReferenceScan& progress, const ReferenceRow& row) {
        try {
            cache_->apply_scan_page(progress, {row}, {row.id}, {}, now_);
        } catch (const StoreError& e) {
            return e.what();
        }
        ADD_FAILURE() << "expected a StoreError";
        return {};
    }
};

TEST_F(ReferenceCacheTest, ApplyPageStoresRowsAndCursorTogether) {
    const auto a = slot("a", "Schedule/1", "2026-11-25T08:00:00+07:00");
    const auto b = practitioner("p1");
    cache_->apply_page("Slot", {a}, {}, std::string("2026-11-24T10:00:00.000Z"), now_);
    cache_->apply_page("Practitioner", {b}, {}, std::nullopt, now_);

    EXPECT_EQ(cache_->find("Slot", "a"), a);
    EXPECT_EQ(cache_->find("Practitioner", "p1"), b);
    EXPECT_EQ(cache_->find("Slot", "p1"), std::nullopt) << "types are separate";
    EXPECT_EQ(cache_->count("Slot"), 1);
    EXPECT_EQ(cache_->count("Practitioner"), 1);
    EXPECT_EQ(cache_->count("Schedule"), 0);
    EXPECT_EQ(cache_->cursor("Slot"), "2026-11-24T10:00:00.000Z");
    EXPECT_EQ(cache_->cursor("Practitioner"), std::nullopt);
    EXPECT_EQ(query_int(*db_, "SELECT updated_at FROM sync_state WHERE key = ?1", "cursor.Slot"), now_);
    // Absent optional columns are NULL, not "".
    EXPECT_EQ(query_int(*db_,
                        "SELECT count(*) FROM reference_resources WHERE id = ?1 AND starts_at IS NULL AND "
                        "ends_at IS NULL AND parent_ref IS NULL",
                        "p1"),
              1);
    EXPECT_EQ(cache_->reconciled_at("Slot"), std::nullopt) << "apply_page is not a reconciliation";
    EXPECT_FALSE(in_transaction());
}

TEST_F(ReferenceCacheTest, UpsertReplacesEveryColumnAndRemovalDeletes) {
    cache_->apply_page(
        "Slot",
        {slot("a", "Schedule/1", "2026-11-25T01:00:00Z"), slot("b", "Schedule/1", "2026-11-25T02:00:00Z")},
        {}, std::string("c1"), now_);
    ReferenceRow changed = slot("a", "Schedule/2", "2026-11-26T03:00:00Z", "busy");
    changed.version_id = "v2";
    changed.last_updated = "2026-11-24T11:00:00.000Z";
    changed.ends_at = "";
    changed.json = R"({"resourceType":"Slot","id":"a","status":"busy"})";
    cache_->apply_page("Slot", {changed}, {"b", "never-cached"}, std::string("c2"), now_ + 1);

    EXPECT_EQ(cache_->find("Slot", "a"), changed);
    EXPECT_EQ(cache_->find("Slot", "b"), std::nullopt);
    EXPECT_EQ(cache_->count("Slot"), 1);
    EXPECT_EQ(cache_->cursor("Slot"), "c2");

    // Without a new cursor the old one stays; a removal of another type's id touches nothing here.
    cache_->apply_page("Practitioner", {practitioner("a")}, {}, std::nullopt, now_ + 2);
    cache_->apply_page("Practitioner", {}, {"a"}, std::nullopt, now_ + 3);
    EXPECT_EQ(cache_->find("Slot", "a"), changed);
    EXPECT_EQ(cache_->count("Practitioner"), 0);
    EXPECT_EQ(cache_->cursor("Slot"), "c2");
    EXPECT_THAT(cache_->ids("Slot"), ElementsAre("a"));
}

TEST_F(ReferenceCacheTest, ApplyPageIsAllOrNothing) {
    cache_->apply_page("Slot",
                       {slot("keep", "Schedule/1", "2026-11-25T01:00:00Z"),
                        slot("gone", "Schedule/1", "2026-11-25T02:00:00Z")},
                       {}, std::string("c1"), now_);
    const auto keep_before = cache_->find("Slot", "keep");

    // 1. The third upsert fails after two succeeded (one of them an update).
    db_->exec("CREATE TEMP TRIGGER fail_boom BEFORE INSERT ON reference_resources WHEN NEW.id = 'boom' "
              "BEGIN SELECT RAISE(ABORT, 'simulated failure'); END");
    auto keep_after = slot("keep", "Schedule/9", "2026-11-27T01:00:00Z", "busy");
    try {
        cache_->apply_page("Slot",
                           {slot("new", "Schedule/1", "2026-11-25T03:00:00Z"), keep_after,
                            slot("boom", "Schedule/1", "2026-11-25T04:00:00Z")},
                           {"gone"}, std::string("c2"), now_ + 1);
        ADD_FAILURE() << "apply_page must fail";
    } catch (const StoreError& e) {
        EXPECT_THAT(e.what(), HasSubstr("simulated failure"));
        EXPECT_THAT(e.what(), HasSubstr("nothing was stored"));
    }
    EXPECT_FALSE(in_transaction());
    EXPECT_THAT(cache_->ids("Slot"), ElementsAre("gone", "keep"));
    EXPECT_EQ(cache_->find("Slot", "keep"), keep_before);
    EXPECT_EQ(cache_->cursor("Slot"), "c1");
    db_->exec("DROP TRIGGER fail_boom");

    // 2. Everything but the cursor succeeded: the rows go back too.
    db_->exec("CREATE TEMP TRIGGER fail_cursor BEFORE UPDATE ON sync_state "
              "BEGIN SELECT RAISE(ABORT, 'cursor write failed'); END");
    EXPECT_THROW(cache_->apply_page("Slot", {keep_after}, {"gone"}, std::string("c2"), now_ + 2), StoreError);
    EXPECT_THAT(cache_->ids("Slot"), ElementsAre("gone", "keep"));
    EXPECT_EQ(cache_->find("Slot", "keep"), keep_before);
    EXPECT_EQ(cache_->cursor("Slot"), "c1");
    db_->exec("DROP TRIGGER fail_cursor");

    // 3. A failing removal.
    db_->exec("CREATE TEMP TRIGGER fail_delete BEFORE DELETE ON reference_resources "
              "BEGIN SELECT RAISE(ABORT, 'delete failed'); END");
    EXPECT_THROW(cache_->apply_page("Slot", {keep_after}, {"gone"}, std::string("c2"), now_ + 3), StoreError);
    EXPECT_EQ(cache_->find("Slot", "keep"), keep_before);
    EXPECT_EQ(cache_->cursor("Slot"), "c1");
    db_->exec("DROP TRIGGER fail_delete");

    // Without the faults the same page goes through.
    cache_->apply_page("Slot", {keep_after}, {"gone"}, std::string("c2"), now_ + 4);
    EXPECT_THAT(cache_->ids("Slot"), ElementsAre("keep"));
    EXPECT_EQ(cache_->find("Slot", "keep"), keep_after);
    EXPECT_EQ(cache_->cursor("Slot"), "c2");
    EXPECT_FALSE(in_transaction());
}

TEST_F(ReferenceCacheTest, InvalidPagesAreRefusedBeforeAnythingIsWritten) {
    EXPECT_THROW(cache_->apply_page("Slot", {slot("a", "S/1", "2026-11-25T01:00:00Z"), practitioner("p")}, {},
                                    std::string("c"), now_),
                 StoreError);
    auto no_id = slot("", "S/1", "2026-11-25T01:00:00Z");
    EXPECT_THROW(cache_->apply_page("Slot", {no_id}, {}, std::nullopt, now_), StoreError);
    auto no_json = slot("b", "S/1", "2026-11-25T01:00:00Z");
    no_json.json.clear();
    EXPECT_THROW(cache_->apply_page("Slot", {no_json}, {}, std::nullopt, now_), StoreError);
    EXPECT_THROW(cache_->apply_page("Slot", {}, {}, std::string(), now_), StoreError);
    EXPECT_EQ(cache_->count("Slot"), 0);
    EXPECT_EQ(cache_->cursor("Slot"), std::nullopt);
}

TEST_F(ReferenceCacheTest, FinishReconciliationRecordsWhen) {
    cache_->apply_page("Practitioner", {practitioner("p1"), practitioner("p2")}, {}, std::string("c1"), now_);
    cache_->finish_reconciliation("Practitioner", {practitioner("p1", "2")}, {"p2"}, std::string("c2"),
                                  now_ + 5);
    EXPECT_EQ(cache_->reconciled_at("Practitioner"), now_ + 5);
    EXPECT_EQ(cache_->reconciled_at("Slot"), std::nullopt);
    EXPECT_THAT(cache_->ids("Practitioner"), ElementsAre("p1"));
    EXPECT_EQ(cache_->find("Practitioner", "p1")->version_id, "2");
    EXPECT_EQ(cache_->cursor("Practitioner"), "c2");
    // An empty reconciliation still records its time and keeps the cursor.
    cache_->finish_reconciliation("Practitioner", {}, {}, std::nullopt, now_ + 9);
    EXPECT_EQ(cache_->reconciled_at("Practitioner"), now_ + 9);
    EXPECT_EQ(cache_->cursor("Practitioner"), "c2");
}

TEST_F(ReferenceCacheTest, ResetDropsOneTypesRowsCursorAndReconciliation) {
    cache_->apply_page("Slot",
                       {slot("a", "S/1", "2026-11-25T01:00:00Z"), slot("b", "S/1", "2026-11-25T02:00:00Z")},
                       {}, std::string("slot-cursor"), now_);
    cache_->finish_reconciliation("Slot", {}, {}, std::nullopt, now_);
    cache_->apply_page("Practitioner", {practitioner("a")}, {}, std::string("p-cursor"), now_);
    cache_->finish_reconciliation("Practitioner", {}, {}, std::nullopt, now_);

    cache_->reset("Slot");
    EXPECT_EQ(cache_->count("Slot"), 0);
    EXPECT_EQ(cache_->cursor("Slot"), std::nullopt);
    EXPECT_EQ(cache_->reconciled_at("Slot"), std::nullopt);
    EXPECT_EQ(cache_->count("Practitioner"), 1);
    EXPECT_EQ(cache_->cursor("Practitioner"), "p-cursor");
    EXPECT_EQ(cache_->reconciled_at("Practitioner"), now_);
    EXPECT_FALSE(in_transaction());

    // Also all or nothing.
    db_->exec("CREATE TEMP TRIGGER fail_reset BEFORE DELETE ON sync_state "
              "BEGIN SELECT RAISE(ABORT, 'no'); END");
    EXPECT_THROW(cache_->reset("Practitioner"), StoreError);
    EXPECT_EQ(cache_->count("Practitioner"), 1);
    EXPECT_EQ(cache_->cursor("Practitioner"), "p-cursor");
}

TEST_F(ReferenceCacheTest, EverythingSurvivesReopen) {
    const auto a = slot("a", "Schedule/1", "2026-11-25T08:00:00+07:00");
    cache_->apply_page("Slot", {a}, {}, std::string("2026-11-24T10:00:00.000Z"), now_);
    cache_->finish_reconciliation("Slot", {}, {}, std::nullopt, now_ + 1);
    reopen();
    EXPECT_EQ(cache_->find("Slot", "a"), a);
    EXPECT_EQ(cache_->cursor("Slot"), "2026-11-24T10:00:00.000Z");
    EXPECT_EQ(cache_->reconciled_at("Slot"), now_ + 1);
    EXPECT_EQ(cache_->count("Slot"), 1);
}

TEST_F(ReferenceCacheTest, SlotsAreTheFreeOnesOfOneScheduleInTheWindowEarliestFirstAsInstants) {
    cache_->apply_page(
        "Slot",
        {
            slot("local-8", "Schedule/1", "2026-11-25T08:00:00+07:00"), // 01:00Z
            slot("utc-2", "Schedule/1", "2026-11-25T02:00:00Z"),
            slot("utc-0030", "Schedule/1", "2026-11-25T00:30:00.500Z"),
            slot("busy", "Schedule/1", "2026-11-25T01:30:00Z", "busy"),
            slot("other", "Schedule/2", "2026-11-25T01:30:00Z"),
            slot("before", "Schedule/1", "2026-11-24T23:59:59Z"),
            slot("at-end", "Schedule/1", "2026-11-26T00:00:00Z"), // the window's end is exclusive
        },
        {}, std::nullopt, now_);

    // Text order would put "2026-11-25T08:00:00+07:00" last; as instants it is second.
    EXPECT_THAT(ids_of(cache_->slots("Schedule/1", "2026-11-25", "2026-11-26", 10)),
                ElementsAre("utc-0030", "local-8", "utc-2"));
    EXPECT_THAT(ids_of(cache_->slots("Schedule/1", "2026-11-25T00:00:00Z", "2026-11-26T00:00:00.001Z", 2)),
                ElementsAre("utc-0030", "local-8"));
    // A site-local window: 2026-11-25 at +07:00 starts at 2026-11-24T17:00Z.
    EXPECT_THAT(
        ids_of(cache_->slots("Schedule/1", "2026-11-25T00:00:00+07:00", "2026-11-25T08:00:00+07:00", 10)),
        ElementsAre("before", "utc-0030"));
    EXPECT_THAT(ids_of(cache_->slots("Schedule/2", "2026-11-25", "2026-11-26", 10)), ElementsAre("other"));
    EXPECT_THAT(cache_->slots("Schedule/3", "2026-11-25", "2026-11-26", 10), IsEmpty());
    EXPECT_THAT(cache_->slots("Schedule/1", "2026-11-25", "2026-11-26", 0), IsEmpty());
    EXPECT_THROW((void)cache_->slots("Schedule/1", "tomorrow", "2026-11-26", 10), StoreError);
    EXPECT_THROW((void)cache_->slots("Schedule/1", "2026-11-25", "2461736", 10), StoreError);

    EXPECT_EQ(cache_->count_starting("Slot", "2026-11-25", "2026-11-26"), 5);
    EXPECT_EQ(cache_->count_starting("Slot", "2026-11-24", "2026-11-27"), 7);
    EXPECT_EQ(cache_->count_starting("Practitioner", "2026-11-24", "2026-11-27"), 0);
}

TEST_F(ReferenceCacheTest, ScanProgressGoesWithItsPageAndMarksUnchangedRowsSeen) {
    // Cached before the scan: p1 and p2 (p2 will come again unchanged), p3 (the scan never receives it).
    cache_->apply_page("Practitioner", {practitioner("p1"), practitioner("p2"), practitioner("p3")}, {},
                       std::string("c1"), now_);
    EXPECT_EQ(cache_->scan("Practitioner"), std::nullopt);
    auto scan = cache_->begin_scan("Practitioner", "periodic reconciliation", now_);
    EXPECT_GT(scan.scan_id, 0);
    EXPECT_EQ(scan.resource_type, "Practitioner");
    EXPECT_EQ(scan.reason, "periodic reconciliation");
    EXPECT_EQ(scan.started_at, now_);
    EXPECT_EQ(scan.pages, 0);
    EXPECT_FALSE(scan.listed);
    EXPECT_EQ(scan.bound, std::nullopt);
    EXPECT_THAT(cache_->unseen_ids("Practitioner", scan.scan_id), ElementsAre("p1", "p2", "p3"));

    // A page: p1 changed (upserted), p2 unchanged (only marked), p4 new; "nowhere" is not cached.
    scan.pages = 1;
    scan.expected = 4;
    scan.bound = "2026-11-24T09:00:00.123Z";
    scan.link = "http://his/fhir/R4/Practitioner?_offset=2";
    scan.newest = "2026-11-24T09:00:00.123Z";
    cache_->apply_scan_page(scan, {practitioner("p1", "2"), practitioner("p4")}, {"p2", "nowhere"}, {},
                            now_ + 1);
    EXPECT_FALSE(in_transaction());
    EXPECT_EQ(cache_->scan("Practitioner"), scan);
    EXPECT_EQ(cache_->find("Practitioner", "p1")->version_id, "2");
    EXPECT_EQ(cache_->seen_count("Practitioner", scan.scan_id), 3);
    EXPECT_THAT(cache_->unseen_ids("Practitioner", scan.scan_id), ElementsAre("p3"));
    EXPECT_EQ(cache_->cursor("Practitioner"), "c1") << "a scan page leaves the cursor alone";
    EXPECT_EQ(cache_->reconciled_at("Practitioner"), std::nullopt);

    // Everything survives a reopen (a restart between two runs).
    reopen();
    EXPECT_EQ(cache_->scan("Practitioner"), scan);
    EXPECT_THAT(cache_->unseen_ids("Practitioner", scan.scan_id), ElementsAre("p3"));

    // The id check: p3 is gone.
    scan.listed = true;
    cache_->apply_scan_page(scan, {}, {}, {"p3"}, now_ + 2);
    EXPECT_THAT(cache_->ids("Practitioner"), ElementsAre("p1", "p2", "p4"));
    EXPECT_TRUE(cache_->unseen_ids("Practitioner", scan.scan_id).empty());
    EXPECT_TRUE(cache_->scan("Practitioner")->listed);

    cache_->finish_reconciliation("Practitioner", {}, {}, std::string("c2"), now_ + 3);
    EXPECT_EQ(cache_->scan("Practitioner"), std::nullopt);
    EXPECT_EQ(cache_->reconciled_at("Practitioner"), now_ + 3);
    EXPECT_EQ(cache_->cursor("Practitioner"), "c2");

    // A new scan has a new id: the marks of the old one count for nothing.
    const auto again = cache_->begin_scan("Practitioner", "count mismatch", now_ + 4);
    EXPECT_GT(again.scan_id, scan.scan_id);
    EXPECT_THAT(cache_->unseen_ids("Practitioner", again.scan_id), ElementsAre("p1", "p2", "p4"));
    EXPECT_EQ(cache_->seen_count("Practitioner", again.scan_id), 0);
}

TEST_F(ReferenceCacheTest, ScanPageIsAllOrNothingAndRefusedForAScanNoLongerInProgress) {
    cache_->apply_page("Slot",
                       {slot("a", "S/1", "2026-11-25T01:00:00Z"), slot("b", "S/1", "2026-11-25T02:00:00Z")},
                       {}, std::string("c1"), now_);
    const auto scan = cache_->begin_scan("Slot", "first download", now_);
    auto progress = scan;
    progress.pages = 1;
    progress.bound = "2026-11-24T10:00:00.000Z";

    // The progress cannot be written: neither the rows, nor the marks, nor the removal stay.
    db_->exec("CREATE TEMP TRIGGER fail_scan BEFORE UPDATE ON reference_scans "
              "BEGIN SELECT RAISE(ABORT, 'scan write failed'); END");
    const auto changed = slot("a", "S/2", "2026-11-26T01:00:00Z", "busy");
    try {
        cache_->apply_scan_page(progress, {changed}, {"b"}, {"b"}, now_ + 1);
        ADD_FAILURE() << "apply_scan_page must fail";
    } catch (const StoreError& e) {
        EXPECT_THAT(e.what(), HasSubstr("scan write failed"));
        EXPECT_THAT(e.what(), HasSubstr("nothing was stored"));
    }
    EXPECT_FALSE(in_transaction());
    EXPECT_EQ(cache_->find("Slot", "a")->status, "free");
    EXPECT_THAT(cache_->ids("Slot"), ElementsAre("a", "b"));
    EXPECT_EQ(cache_->seen_count("Slot", scan.scan_id), 0);
    EXPECT_EQ(cache_->scan("Slot"), scan);
    db_->exec("DROP TRIGGER fail_scan");

    // Abandoned, replaced or reset meanwhile: refused, nothing stored.
    cache_->abandon_scan("Slot");
    EXPECT_EQ(cache_->scan("Slot"), std::nullopt);
    EXPECT_THAT(cache_->ids("Slot"), ElementsAre("a", "b")) << "abandoning keeps the rows";
    EXPECT_THROW(cache_->apply_scan_page(progress, {changed}, {"b"}, {}, now_ + 2), StoreError);
    const auto replacing = cache_->begin_scan("Slot", "first download", now_ + 3);
    EXPECT_THAT(store_error_of_scan(progress, changed), HasSubstr("no longer the type's scan in progress"));
    EXPECT_EQ(cache_->find("Slot", "a")->status, "free");
    EXPECT_EQ(cache_->seen_count("Slot", scan.scan_id), 0);

    // reset() drops the scan with the rows.
    cache_->apply_scan_page(replacing, {}, {"a"}, {}, now_ + 4);
    cache_->reset("Slot");
    EXPECT_EQ(cache_->scan("Slot"), std::nullopt);
    EXPECT_EQ(cache_->count("Slot"), 0);
    EXPECT_THROW(cache_->apply_scan_page(replacing, {changed}, {}, {}, now_ + 5), StoreError);
    EXPECT_EQ(cache_->count("Slot"), 0);
}

TEST(ReferenceCacheOpen, RefusesADatabaseWithoutTheTables) {
    TempDir dir;
    auto db = Database::open_unmigrated(dir / "kiosk.db");
    migrate(db, 3);
    EXPECT_THROW(ReferenceCache cache(db), StoreError);
    migrate(db, 5); // the reference table, but not the scans of migration 6
    EXPECT_THROW(ReferenceCache cache(db), StoreError);
    migrate(db);
    EXPECT_NO_THROW(ReferenceCache cache(db));
}

} // namespace
} // namespace kiosk::store
