#include "kiosk/store/outbox.hpp"
#include "kiosk/store/statement.hpp"
#include "kiosk/store/sync_state.hpp"
#include "kiosk/store/ticket_store.hpp"
#include "store/store_test_support.hpp"
#include "temp_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace kiosk::store {

// Readable failure output for EXPECT_EQ on rows (found by argument-dependent lookup, so not in the
// anonymous namespace).
void PrintTo(const OutboxEntry& e, std::ostream* os) {
    *os << "{id " << e.id << ", " << e.aggregate_type << "/" << e.aggregate_id << " " << e.operation
        << ", identifier " << e.identifier << ", created_at " << e.created_at << ", attempts " << e.attempts
        << ", next_attempt_at " << e.next_attempt_at << ", last_error '" << e.last_error << "', payload "
        << e.payload_json << "}";
}

void PrintTo(const DeadLetter& d, std::ostream* os) {
    *os << "{id " << d.id << ", outbox_id " << d.outbox_id << ", " << d.aggregate_type << "/"
        << d.aggregate_id << " " << d.operation << ", identifier " << d.identifier << ", created_at "
        << d.created_at << ", attempts " << d.attempts << ", failed_at " << d.failed_at << ", reason '"
        << d.reason << "', payload " << d.payload_json << "}";
}

namespace {

using test::query_int;
using test::TempDir;
using test::utc_ms;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::int64_t> ids_of(const std::vector<OutboxEntry>& entries) {
    std::vector<std::int64_t> ids;
    ids.reserve(entries.size());
    for (const auto& e : entries)
        ids.push_back(e.id);
    return ids;
}

std::vector<std::string> identifiers_of(const std::vector<OutboxEntry>& entries) {
    std::vector<std::string> out;
    out.reserve(entries.size());
    for (const auto& e : entries)
        out.push_back(e.identifier);
    return out;
}

// Each test: its own directory and a real SQLite file, with a TicketStore and an Outbox on it.
class OutboxTest : public ::testing::Test {
protected:
    TempDir dir_;
    std::filesystem::path file_ = dir_ / "kiosk.db";
    std::optional<Database> db_{Database::open(file_)};
    std::optional<TicketStore> tickets_{std::in_place, *db_};
    std::optional<Outbox> outbox_{std::in_place, *db_};

    const core::KioskIdentity kiosk_ = test::kiosk_b();
    const core::Service kbh_ = test::service_kbh();
    // 2026-11-24 08:00:00 at the site (+07:00).
    const core::UnixMillis now_ = utc_ms(2026, 11, 24, 1, 0, 0);
    int issued_ = 0;

    // Issues a ticket (one outbox row "ticket/<reference> create") and returns its outbox row.
    OutboxEntry issue() {
        const auto t = tickets_->issue(kiosk_, kbh_, now_ - 60'000 + issued_++);
        detail::Statement s(*db_, "SELECT id FROM outbox WHERE identifier = ?1");
        s.bind_text(1, t.reference);
        if (!s.step()) throw std::runtime_error("no outbox row for " + t.reference);
        return entry(s.column_int64(0));
    }

    // A later change to the same ticket (e.g. a cancellation), written as a raw row behind `first`.
    OutboxEntry add_change(const OutboxEntry& first, const std::string& operation) {
        detail::Statement s(*db_, "INSERT INTO outbox (aggregate_type, aggregate_id, operation, identifier, "
                                  "payload, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id");
        const nlohmann::json payload = {{"reference", first.aggregate_id}, {"status", "cancelled"}};
        s.bind_text(1, first.aggregate_type)
            .bind_text(2, first.aggregate_id)
            .bind_text(3, operation)
            .bind_text(4, first.aggregate_id + "/" + operation)
            .bind_text(5, payload.dump())
            .bind_int64(6, now_ - 1000);
        if (!s.step()) throw std::runtime_error("INSERT ... RETURNING gave no id");
        return entry(s.column_int64(0));
    }

    // The outbox row with this id, read through peek().
    [[nodiscard]] OutboxEntry entry(std::int64_t id) const {
        for (const auto& e : outbox_->peek(1'000'000))
            if (e.id == id) return e;
        throw std::runtime_error("no outbox row " + std::to_string(id));
    }

    void reopen() {
        outbox_.reset();
        tickets_.reset();
        db_.reset();
        db_.emplace(Database::open(file_));
        tickets_.emplace(*db_);
        outbox_.emplace(*db_);
    }

    [[nodiscard]] bool in_transaction() const { return sqlite3_get_autocommit(db_->handle()) == 0; }
};

TEST_F(OutboxTest, DueRespectsNextAttemptAtAndFifoPerAggregate) {
    const auto a1 = issue();                        // ticket A1 created
    const auto a2 = issue();                        // ticket A2 created
    const auto a1_later = add_change(a1, "cancel"); // A1 cancelled afterwards
    ASSERT_LT(a1.id, a2.id);
    ASSERT_LT(a2.id, a1_later.id);

    // The later A1 row waits behind the earlier one even though both are due by time.
    EXPECT_THAT(ids_of(outbox_->due(now_, 10)), ElementsAre(a1.id, a2.id));

    // The first A1 row failed and waits a minute: A2 goes ahead, the later A1 row does not overtake it.
    test::retry_later(*outbox_, a1.id, now_ + 60'000, "HIS timeout");
    EXPECT_THAT(ids_of(outbox_->due(now_, 10)), ElementsAre(a2.id));
    EXPECT_THAT(ids_of(outbox_->due(now_ + 59'999, 10)), ElementsAre(a2.id));
    const auto after_wait = outbox_->due(now_ + 60'000, 10);
    ASSERT_THAT(ids_of(after_wait), ElementsAre(a1.id, a2.id));
    EXPECT_EQ(after_wait[0].attempts, 1);
    EXPECT_EQ(after_wait[0].next_attempt_at, now_ + 60'000);
    EXPECT_EQ(after_wait[0].last_error, "HIS timeout");
    EXPECT_EQ(after_wait[1], a2);

    // Once the HIS confirmed the first A1 row, the later one is next in line.
    test::acknowledge(*outbox_, {a1.id});
    EXPECT_THAT(ids_of(outbox_->due(now_, 10)), ElementsAre(a2.id, a1_later.id));
    EXPECT_EQ(outbox_->due(now_, 10)[1], a1_later);

    // The limit keeps the oldest.
    EXPECT_THAT(ids_of(outbox_->due(now_, 1)), ElementsAre(a2.id));
    EXPECT_THAT(outbox_->due(now_, 0), IsEmpty());
    EXPECT_FALSE(in_transaction());
}

TEST_F(OutboxTest, DueSkipsARowUntilItsNextAttempt) {
    const auto a = issue();
    const auto b = issue();
    test::retry_later(*outbox_, b.id, now_ + 5, "HTTP 503");
    EXPECT_THAT(ids_of(outbox_->due(now_, 10)), ElementsAre(a.id));
    EXPECT_THAT(ids_of(outbox_->due(now_ + 4, 10)), ElementsAre(a.id));
    EXPECT_THAT(ids_of(outbox_->due(now_ + 5, 10)), ElementsAre(a.id, b.id));
    EXPECT_EQ(outbox_->due(now_, 10)[0], a); // the full row, as peek() reads it
}

TEST_F(OutboxTest, DueOfAnEmptyOutboxIsEmpty) {
    EXPECT_THAT(outbox_->due(now_, 500), IsEmpty());
    EXPECT_THAT(outbox_->peek(500), IsEmpty());
    EXPECT_EQ(outbox_->count(), 0);
}

TEST_F(OutboxTest, AcknowledgeDeletesExactlyTheGivenIdsAndSurvivesReopen) {
    std::vector<OutboxEntry> rows;
    rows.reserve(5);
    for (int i = 0; i < 5; ++i)
        rows.push_back(issue());
    const std::int64_t unknown = rows.back().id + 1000;

    test::acknowledge(*outbox_, {rows[1].id, rows[3].id, unknown, rows[3].id});
    EXPECT_FALSE(in_transaction());
    EXPECT_EQ(outbox_->count(), 3);
    EXPECT_THAT(ids_of(outbox_->peek(10)), ElementsAre(rows[0].id, rows[2].id, rows[4].id));

    test::acknowledge(*outbox_, {}); // nothing to do
    EXPECT_EQ(outbox_->count(), 3);

    reopen();
    EXPECT_EQ(outbox_->count(), 3);
    EXPECT_THAT(outbox_->peek(10), ElementsAre(rows[0], rows[2], rows[4]));
    EXPECT_EQ(tickets_->count(), 5) << "acknowledging must not touch the tickets";
}

TEST_F(OutboxTest, AcknowledgeIsAllOrNothing) {
    const auto a = issue();
    const auto b = issue();
    const auto c = issue();
    // The third delete fails after the first two succeeded: only one transaction undoes those two.
    db_->exec("CREATE TEMP TRIGGER fail_third_ack BEFORE DELETE ON outbox WHEN OLD.id = " +
              std::to_string(c.id) + " BEGIN SELECT RAISE(ABORT, 'simulated failure'); END");

    try {
        test::acknowledge(*outbox_, {a.id, b.id, c.id});
        ADD_FAILURE() << "acknowledge() succeeded although a delete failed";
    } catch (const StoreError& e) {
        EXPECT_THAT(e.what(), HasSubstr("simulated failure"));
        EXPECT_THAT(e.what(), HasSubstr(file_.string()));
    }
    EXPECT_FALSE(in_transaction()) << "acknowledge() left a transaction open";
    EXPECT_THAT(outbox_->peek(10), ElementsAre(a, b, c));

    db_->exec("DROP TRIGGER fail_third_ack");
    test::acknowledge(*outbox_, {a.id, b.id, c.id});
    EXPECT_EQ(outbox_->count(), 0);
}

TEST_F(OutboxTest, RetryLaterIncrementsAttemptsAndStoresTheError) {
    const auto a = issue();
    const auto b = issue();

    test::retry_later(*outbox_, a.id, now_ + 1'000, "HTTP 503 Service Unavailable");
    auto row = entry(a.id);
    EXPECT_EQ(row.attempts, 1);
    EXPECT_EQ(row.next_attempt_at, now_ + 1'000);
    EXPECT_EQ(row.last_error, "HTTP 503 Service Unavailable");
    EXPECT_EQ(row.payload_json, a.payload_json);
    EXPECT_EQ(row.identifier, a.identifier);
    EXPECT_EQ(entry(b.id), b) << "another row changed";

    test::retry_later(*outbox_, a.id, now_ + 5'000, "timeout after 10 s");
    reopen();
    row = entry(a.id);
    EXPECT_EQ(row.attempts, 2);
    EXPECT_EQ(row.next_attempt_at, now_ + 5'000);
    EXPECT_EQ(row.last_error, "timeout after 10 s");
    EXPECT_EQ(entry(b.id), b);

    test::retry_later(*outbox_, b.id + 1000, now_, "no such row"); // ignored
    EXPECT_EQ(outbox_->count(), 2);
    EXPECT_EQ(query_int(*db_, "SELECT count(*) FROM outbox WHERE last_error = ?1", "no such row"), 0);
}

TEST_F(OutboxTest, QuarantineMovesTheRowToTheDeadLettersAndSurvivesReopen) {
    const auto a = issue();
    const auto b = issue();
    const auto c = issue();
    test::retry_later(*outbox_, b.id, now_ + 1'000, "HTTP 503");
    test::retry_later(*outbox_, b.id, now_ + 2'000, "HTTP 503");
    const auto failed_at = now_ + 3'000;

    test::quarantine(*outbox_, b.id, "HTTP 422: Encounter.identifier is invalid", failed_at);
    EXPECT_FALSE(in_transaction());
    EXPECT_EQ(outbox_->count(), 2);
    EXPECT_EQ(outbox_->dead_count(), 1);
    EXPECT_THAT(outbox_->peek(10), ElementsAre(a, c));

    const auto check = [&] {
        const auto dead = outbox_->dead_letters(10);
        ASSERT_EQ(dead.size(), 1U);
        const auto& d = dead[0];
        EXPECT_GT(d.id, 0);
        EXPECT_EQ(d.outbox_id, b.id);
        EXPECT_EQ(d.aggregate_type, "ticket");
        EXPECT_EQ(d.aggregate_id, b.aggregate_id);
        EXPECT_EQ(d.operation, "create");
        EXPECT_EQ(d.identifier, b.identifier);
        EXPECT_EQ(d.payload_json, b.payload_json);
        EXPECT_EQ(nlohmann::json::parse(d.payload_json).at("reference"), b.aggregate_id);
        EXPECT_EQ(d.created_at, b.created_at);
        EXPECT_EQ(d.attempts, 3) << "two retries and the refused delivery";
        EXPECT_EQ(d.failed_at, failed_at);
        EXPECT_EQ(d.reason, "HTTP 422: Encounter.identifier is invalid");
    };
    check();

    reopen();
    EXPECT_EQ(outbox_->count(), 2);
    EXPECT_EQ(outbox_->dead_count(), 1);
    EXPECT_THAT(outbox_->peek(10), ElementsAre(a, c));
    check();

    test::quarantine(*outbox_, b.id, "again", failed_at); // no longer in the outbox: ignored
    EXPECT_EQ(outbox_->dead_count(), 1);
    EXPECT_EQ(outbox_->count(), 2);
}

TEST_F(OutboxTest, QuarantineNeverBlocksOtherAggregatesAndReleasesItsOwn) {
    const auto a1 = issue();
    const auto a2 = issue();
    const auto a1_later = add_change(a1, "cancel");
    test::retry_later(*outbox_, a1.id, now_ + 60'000, "HTTP 503");
    ASSERT_THAT(ids_of(outbox_->due(now_, 10)), ElementsAre(a2.id));

    test::quarantine(*outbox_, a1.id, "HTTP 400", now_);
    // Documented choice: the later A1 row is no longer held back; staff resolve the dead letter.
    EXPECT_THAT(ids_of(outbox_->due(now_, 10)), ElementsAre(a2.id, a1_later.id));
    EXPECT_EQ(outbox_->next_due_at(), 0);

    // A quarantined row of another aggregate does not hold anything back either.
    test::quarantine(*outbox_, a2.id, "HTTP 400", now_);
    EXPECT_THAT(ids_of(outbox_->due(now_, 10)), ElementsAre(a1_later.id));
    EXPECT_EQ(outbox_->dead_count(), 2);
}

TEST_F(OutboxTest, QuarantineFailingAtTheDeadLetterInsertChangesNothing) {
    const auto a = issue();
    const auto b = issue();
    test::retry_later(*outbox_, a.id, now_ + 1'000, "HTTP 503");
    const auto before = outbox_->peek(10);
    db_->exec("CREATE TEMP TRIGGER fail_dead_insert BEFORE INSERT ON outbox_dead "
              "BEGIN SELECT RAISE(ABORT, 'simulated failure'); END");

    try {
        test::quarantine(*outbox_, a.id, "HTTP 422", now_);
        ADD_FAILURE() << "quarantine() succeeded although the dead letter could not be written";
    } catch (const StoreError& e) {
        EXPECT_THAT(e.what(), HasSubstr("simulated failure"));
        EXPECT_THAT(e.what(), HasSubstr("outbox row " + std::to_string(a.id)));
    }
    EXPECT_FALSE(in_transaction()) << "quarantine() left a transaction open";
    EXPECT_EQ(outbox_->peek(10), before);
    EXPECT_EQ(outbox_->dead_count(), 0);

    db_->exec("DROP TRIGGER fail_dead_insert");
    test::quarantine(*outbox_, a.id, "HTTP 422", now_); // the statements were reset after the failure
    EXPECT_THAT(outbox_->peek(10), ElementsAre(b));
    EXPECT_EQ(outbox_->dead_count(), 1);
}

TEST_F(OutboxTest, QuarantineFailingAfterTheDeadLetterWasWrittenChangesNothing) {
    const auto a = issue();
    const auto b = issue();
    const auto before = outbox_->peek(10);
    // The dead letter is inserted, then deleting the outbox row fails: the insert must be rolled back.
    db_->exec("CREATE TEMP TRIGGER fail_outbox_delete BEFORE DELETE ON outbox "
              "BEGIN SELECT RAISE(ABORT, 'simulated failure'); END");

    EXPECT_THROW(test::quarantine(*outbox_, b.id, "HTTP 422", now_), StoreError);
    EXPECT_FALSE(in_transaction()) << "quarantine() left a transaction open";
    EXPECT_EQ(outbox_->peek(10), before);
    EXPECT_EQ(outbox_->dead_count(), 0);
    EXPECT_THAT(outbox_->dead_letters(10), IsEmpty());

    reopen(); // nothing half-done reached the file either (the temp trigger goes with the connection)
    EXPECT_EQ(outbox_->peek(10), before);
    EXPECT_EQ(outbox_->dead_count(), 0);
    test::quarantine(*outbox_, b.id, "HTTP 422", now_);
    EXPECT_THAT(outbox_->peek(10), ElementsAre(a));
    EXPECT_EQ(outbox_->dead_count(), 1);
}

TEST_F(OutboxTest, NextDueAtIgnoresRowsBlockedByTheirAggregate) {
    EXPECT_EQ(outbox_->next_due_at(), std::nullopt);

    const auto a1 = issue();
    const auto a2 = issue();
    const auto a1_later = add_change(a1, "cancel"); // next_attempt_at 0, but blocked behind a1
    EXPECT_EQ(outbox_->next_due_at(), 0) << "rows due at once";

    test::retry_later(*outbox_, a1.id, now_ + 60'000, "HTTP 503");
    test::retry_later(*outbox_, a2.id, now_ + 30'000, "HTTP 503");
    // Counting the blocked a1_later row would say 0 and make the worker spin.
    EXPECT_EQ(outbox_->next_due_at(), now_ + 30'000);

    test::acknowledge(*outbox_, {a2.id});
    EXPECT_EQ(outbox_->next_due_at(), now_ + 60'000);

    test::acknowledge(*outbox_, {a1.id});
    EXPECT_EQ(outbox_->next_due_at(), 0) << "a1_later is the head of its aggregate now";

    test::retry_later(*outbox_, a1_later.id, now_ + 90'000, "HTTP 503");
    EXPECT_EQ(outbox_->next_due_at(), now_ + 90'000);

    test::quarantine(*outbox_, a1_later.id, "HTTP 400", now_);
    EXPECT_EQ(outbox_->next_due_at(), std::nullopt);
}

TEST_F(OutboxTest, DeadLettersAreNewestFirst) {
    const auto a = issue();
    const auto b = issue();
    const auto c = issue();
    test::quarantine(*outbox_, b.id, "second", now_ + 2);
    test::quarantine(*outbox_, a.id, "first", now_ + 1);
    test::quarantine(*outbox_, c.id, "third", now_ + 3);

    EXPECT_EQ(outbox_->dead_count(), 3);
    const auto all = outbox_->dead_letters(10);
    ASSERT_EQ(all.size(), 3U);
    EXPECT_EQ(all[0].outbox_id, c.id);
    EXPECT_EQ(all[1].outbox_id, a.id);
    EXPECT_EQ(all[2].outbox_id, b.id);
    EXPECT_EQ(all[0].reason, "third");
    EXPECT_GT(all[0].id, all[1].id);
    EXPECT_GT(all[1].id, all[2].id);

    const auto newest_two = outbox_->dead_letters(2);
    ASSERT_EQ(newest_two.size(), 2U);
    EXPECT_EQ(newest_two[0], all[0]);
    EXPECT_EQ(newest_two[1], all[1]);
    EXPECT_THAT(outbox_->dead_letters(0), IsEmpty());
    EXPECT_EQ(outbox_->count(), 0);
}

TEST_F(OutboxTest, TenThousandIssuedTicketsDueReturnsTheOldest500InIdOrder) {
    // Correctness at a realistic backlog (a day offline), not timing. Each issue() is its own durable
    // transaction; synchronous=OFF on this test connection only spares the test 10,000 fsyncs.
    db_->exec("PRAGMA synchronous = OFF");
    constexpr int kTickets = 10'000;
    std::vector<std::string> references;
    references.reserve(kTickets);
    const auto xn = test::service_xn();
    for (int i = 0; i < kTickets; ++i)
        references.push_back(tickets_->issue(kiosk_, i % 2 == 0 ? kbh_ : xn, now_ - kTickets + i).reference);
    ASSERT_EQ(outbox_->count(), kTickets);

    const auto batch = outbox_->due(now_, 500);
    ASSERT_EQ(batch.size(), 500U);
    EXPECT_EQ(identifiers_of(batch), std::vector<std::string>(references.begin(), references.begin() + 500));
    for (std::size_t i = 1; i < batch.size(); ++i)
        ASSERT_GT(batch[i].id, batch[i - 1].id) << "at " << i;
    EXPECT_EQ(batch, outbox_->peek(500));

    test::acknowledge(*outbox_, ids_of(batch));
    EXPECT_EQ(outbox_->count(), kTickets - 500);
    const auto next = outbox_->due(now_, 500);
    EXPECT_EQ(identifiers_of(next),
              std::vector<std::string>(references.begin() + 500, references.begin() + 1000));
    EXPECT_EQ(outbox_->next_due_at(), 0);
}

TEST_F(OutboxTest, OutboxOnAnUnmigratedDatabaseFailsAtConstruction) {
    auto bare = Database::open_unmigrated(dir_ / "bare.db");
    EXPECT_THROW(Outbox{bare}, StoreError);
    EXPECT_THROW(SyncState{bare}, StoreError);
}

class SyncStateTest : public ::testing::Test {
protected:
    TempDir dir_;
    std::filesystem::path file_ = dir_ / "kiosk.db";
    std::optional<Database> db_{Database::open(file_)};
    std::optional<SyncState> state_{std::in_place, *db_};
    const core::UnixMillis now_ = utc_ms(2026, 11, 24, 1, 0, 0);

    std::int64_t updated_at(const char* key) const {
        return query_int(*db_, "SELECT updated_at FROM sync_state WHERE key = ?1", key);
    }

    void reopen() {
        state_.reset();
        db_.reset();
        db_.emplace(Database::open(file_));
        state_.emplace(*db_);
    }
};

TEST_F(SyncStateTest, UnknownKeyReadsAsNullopt) {
    EXPECT_EQ(state_->get("his.cursor"), std::nullopt);
    state_->set("his.cursor", "42", now_);
    EXPECT_EQ(state_->get("his.cursor "), std::nullopt) << "keys match exactly";
    EXPECT_EQ(state_->get("HIS.CURSOR"), std::nullopt);
}

TEST_F(SyncStateTest, SetStoresAndOverwrites) {
    state_->set("his.cursor", "42", now_);
    EXPECT_EQ(state_->get("his.cursor"), "42");
    EXPECT_EQ(updated_at("his.cursor"), now_);

    state_->set("his.cursor", "43", now_ + 1'000);
    EXPECT_EQ(state_->get("his.cursor"), "43");
    EXPECT_EQ(updated_at("his.cursor"), now_ + 1'000);
    EXPECT_EQ(query_int(*db_, "SELECT count(*) FROM sync_state"), 1);

    state_->set("his.etag", "", now_);
    EXPECT_EQ(state_->get("his.etag"), "") << "an empty value is a value, not a missing key";
    state_->set("his.note", "Đồng bộ lúc 08:00", now_);
    EXPECT_EQ(state_->get("his.note"), "Đồng bộ lúc 08:00");
}

TEST_F(SyncStateTest, SetManyStoresAllPairs) {
    state_->set("his.cursor", "1", now_);
    state_->set_many(
        {{"his.cursor", "2"}, {"his.last_success_at", "2026-11-24T08:00:00+07:00"}, {"his.cursor", "3"}},
        now_ + 500);
    EXPECT_EQ(sqlite3_get_autocommit(db_->handle()), 1) << "set_many() left a transaction open";
    EXPECT_EQ(state_->get("his.cursor"), "3") << "the later pair of a key wins";
    EXPECT_EQ(state_->get("his.last_success_at"), "2026-11-24T08:00:00+07:00");
    EXPECT_EQ(updated_at("his.cursor"), now_ + 500);
    EXPECT_EQ(updated_at("his.last_success_at"), now_ + 500);
    state_->set_many({}, now_ + 600); // nothing to do
    EXPECT_EQ(query_int(*db_, "SELECT count(*) FROM sync_state"), 2);
}

TEST_F(SyncStateTest, SetManyFailingMidwayStoresNothing) {
    state_->set("his.cursor", "1", now_);
    db_->exec("CREATE TEMP TRIGGER fail_bad_key BEFORE INSERT ON sync_state WHEN NEW.key = 'bad' "
              "BEGIN SELECT RAISE(ABORT, 'simulated failure'); END");

    try {
        state_->set_many({{"his.cursor", "2"}, {"his.new", "x"}, {"bad", "y"}}, now_ + 1);
        ADD_FAILURE() << "set_many() succeeded although one value could not be stored";
    } catch (const StoreError& e) {
        EXPECT_THAT(e.what(), HasSubstr("simulated failure"));
        EXPECT_THAT(e.what(), HasSubstr(file_.string()));
    }
    EXPECT_EQ(sqlite3_get_autocommit(db_->handle()), 1) << "set_many() left a transaction open";
    EXPECT_EQ(state_->get("his.cursor"), "1");
    EXPECT_EQ(updated_at("his.cursor"), now_);
    EXPECT_EQ(state_->get("his.new"), std::nullopt);
    EXPECT_EQ(state_->get("bad"), std::nullopt);

    db_->exec("DROP TRIGGER fail_bad_key");
    state_->set_many({{"his.cursor", "2"}, {"bad", "y"}}, now_ + 2);
    EXPECT_EQ(state_->get("his.cursor"), "2");
    EXPECT_EQ(state_->get("bad"), "y");
}

TEST_F(SyncStateTest, ValuesSurviveReopen) {
    state_->set("his.cursor", "42", now_);
    state_->set_many({{"his.etag", "W/\"7\""}, {"his.cursor", "43"}}, now_ + 1);
    reopen();
    EXPECT_EQ(state_->get("his.cursor"), "43");
    EXPECT_EQ(state_->get("his.etag"), "W/\"7\"");
    EXPECT_EQ(updated_at("his.cursor"), now_ + 1);
}

// --- dependencies between records (issue 8, item B) ----------------------------------------------------

class OutboxDependencyTest : public OutboxTest {
protected:
    // A record written as the stores write theirs: through Outbox::add, inside a transaction.
    std::int64_t add(const std::string& type, const std::string& id, std::optional<std::int64_t> depends_on) {
        detail::Transaction tx(*db_);
        const std::int64_t row = outbox_->add({type, id, "create", id, "{}", depends_on}, now_ - 1000);
        tx.commit();
        return row;
    }
};

TEST_F(OutboxDependencyTest, ADependantWaitsForItsDependencyThenCarriesTheHisId) {
    const auto patient = add("patient", "P-1", std::nullopt);
    const auto ticket = add("ticket", "T-1", patient);
    const auto walk_in = add("ticket", "T-2", std::nullopt);
    EXPECT_EQ(ids_of(outbox_->due(now_, 50)), (std::vector<std::int64_t>{patient, walk_in}))
        << "never in the same batch as its dependency";
    EXPECT_EQ(entry(ticket).depends_on, patient);
    EXPECT_EQ(entry(ticket).depends_on_resource, "");

    // The registration is retried later: the ticket does not become due before it.
    outbox_->record(Outbox::Results{{{walk_in, "Encounter/w"}}, {{patient, now_ + 60'000, "HTTP 503"}}, {}},
                    now_);
    EXPECT_THAT(outbox_->due(now_ + 59'999, 50), IsEmpty());
    EXPECT_EQ(outbox_->next_due_at(), now_ + 60'000) << "the ticket's own time does not count while it waits";

    outbox_->record(Outbox::Results{{{patient, "Patient/4711"}}, {}, {}}, now_ + 60'000);
    const auto due = outbox_->due(now_ + 60'000, 50);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].id, ticket);
    EXPECT_EQ(due[0].depends_on_resource, "Patient/4711");
    EXPECT_EQ(outbox_->delivered_resource(patient), "Patient/4711");
    EXPECT_EQ(outbox_->delivered_resource(walk_in), "Encounter/w");
    EXPECT_EQ(outbox_->find_record("patient", "P-1"), patient) << "found once delivered";
}

TEST_F(OutboxDependencyTest, ARefusedRecordTakesEveryRecordThatDependsOnItToTheDeadLetters) {
    const auto patient = add("patient", "P-1", std::nullopt);
    const auto ticket = add("ticket", "T-1", patient);
    const auto follow_up = add("ticket", "T-1-followup", ticket); // depends on the held one
    const auto other = add("ticket", "T-2", std::nullopt);
    outbox_->record(Outbox::Results{{}, {}, {{patient, "conflict: two Patients"}}}, now_);

    EXPECT_EQ(ids_of(outbox_->peek(10)), (std::vector<std::int64_t>{other})) << "the others are not held up";
    const auto dead = outbox_->dead_letters(10);
    ASSERT_EQ(dead.size(), 3u);
    std::map<std::int64_t, DeadLetter> by_row;
    for (const auto& d : dead)
        by_row[d.outbox_id] = d;
    EXPECT_EQ(by_row.at(patient).reason, "conflict: two Patients");
    EXPECT_EQ(by_row.at(patient).attempts, 1);
    EXPECT_EQ(by_row.at(ticket).depends_on, patient);
    EXPECT_EQ(by_row.at(ticket).attempts, 0) << "never sent";
    EXPECT_THAT(by_row.at(ticket).reason, HasSubstr("held: not sent, it refers to outbox record " +
                                                    std::to_string(patient) + " (patient P-1)"));
    EXPECT_THAT(by_row.at(follow_up).reason,
                HasSubstr("outbox record " + std::to_string(ticket) + " (ticket T-1)"));
    EXPECT_EQ(outbox_->dead_count(), 3);

    // A record added after the refusal is held at once: it never enters the queue.
    const auto late = add("ticket", "T-3", patient);
    EXPECT_EQ(ids_of(outbox_->peek(10)), (std::vector<std::int64_t>{other}));
    EXPECT_EQ(outbox_->dead_count(), 4);
    EXPECT_EQ(outbox_->find_record("ticket", "T-3"), late);
    EXPECT_EQ(outbox_->find_record("patient", "P-1"), patient) << "found as a dead letter";
    EXPECT_EQ(outbox_->find_record("patient", "P-unknown"), std::nullopt);
}

TEST_F(OutboxDependencyTest, AddOnlyInsideTheCallersTransaction) {
    EXPECT_THROW((void)outbox_->add({"ticket", "T-1", "create", "T-1", "{}", std::nullopt}, now_),
                 StoreError);
    EXPECT_EQ(outbox_->count(), 0);
}

TEST_F(OutboxDependencyTest, TicketForAKioskRegistrationDependsOnIt) {
    const auto patient = add("patient", "BVDK-QN-20261124-P-B0001", std::nullopt);
    const auto t = tickets_->issue(kiosk_, kbh_, now_, core::PatientRef{"", "BVDK-QN-20261124-P-B0001"});
    const auto known =
        tickets_->issue(kiosk_, kbh_, now_, core::PatientRef{"his-9", "BVDK-QN-20261124-P-B0001"});
    const auto rows = outbox_->peek(10);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[1].aggregate_id, t.reference);
    EXPECT_EQ(rows[1].depends_on, patient);
    EXPECT_EQ(rows[2].aggregate_id, known.reference);
    EXPECT_EQ(rows[2].depends_on, std::nullopt) << "the HIS id is known: nothing to wait for";
}

} // namespace
} // namespace kiosk::store
