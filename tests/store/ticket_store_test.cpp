#include "kiosk/core/ticket.hpp"
#include "kiosk/store/statement.hpp"
#include "kiosk/store/ticket_store.hpp"
#include "store/store_test_support.hpp"
#include "temp_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace kiosk::store {
namespace {

using test::query_int;
using test::TempDir;
using test::utc_ms;
using ::testing::HasSubstr;

class TicketStoreTest : public ::testing::Test {
protected:
    TempDir dir_;
    std::filesystem::path file_ = dir_ / "kiosk.db";
    std::optional<Database> db_{Database::open(file_)};
    std::optional<TicketStore> store_{std::in_place, *db_};

    const core::KioskIdentity kiosk_ = test::kiosk_b();
    const core::Service kbh_ = test::service_kbh();
    const core::Service xn_ = test::service_xn();
    // 2026-11-24 07:42:05 at the site (+07:00).
    const core::UnixMillis morning_ = utc_ms(2026, 11, 24, 0, 42, 5);

    core::Ticket issue(const core::Service& s, core::UnixMillis at) { return store_->issue(kiosk_, s, at); }
    core::Ticket issue(const core::Service& s) { return issue(s, morning_); }

    std::int64_t counter(const char* service_code, const char* day) {
        detail::Statement st(*db_, "SELECT last_sequence FROM ticket_counters "
                                   "WHERE kiosk_letter = 'B' AND service_code = ?1 AND service_day = ?2");
        st.bind_text(1, service_code).bind_text(2, day);
        return st.step() ? st.column_int64(0) : 0;
    }

    void reopen() {
        store_.reset();
        db_.reset();
        db_.emplace(Database::open(file_));
        store_.emplace(*db_);
    }
};

TEST_F(TicketStoreTest, SequencesCountPerServiceFromOne) {
    EXPECT_EQ(issue(kbh_).sequence, 1);
    EXPECT_EQ(issue(kbh_).sequence, 2);
    EXPECT_EQ(issue(kbh_).sequence, 3);
    EXPECT_EQ(issue(xn_).sequence, 1);
    EXPECT_EQ(issue(xn_).sequence, 2);
    const auto t = issue(kbh_);
    EXPECT_EQ(t.sequence, 4);
    EXPECT_EQ(t.display_number, "AB-004");
    EXPECT_EQ(store_->count(), 6);
    EXPECT_EQ(counter("KBH", "2026-11-24"), 4);
    EXPECT_EQ(counter("XN", "2026-11-24"), 2);
}

TEST_F(TicketStoreTest, NumbersFollowTheCoreFormats) {
    const auto t = issue(kbh_);
    EXPECT_EQ(t.display_number, "AB-001");
    EXPECT_EQ(t.reference, "BVDK-QN-20261124-KBH-B001");
    EXPECT_EQ(t.display_number, core::ticket_display_number(kbh_, 'B', 1));
    EXPECT_EQ(t.reference, core::ticket_reference(kiosk_, kbh_, core::LocalDate{2026, 11, 24}, 1));
    EXPECT_EQ(t.service_code, "KBH");
    EXPECT_EQ(t.service_day, (core::LocalDate{2026, 11, 24}));
    EXPECT_EQ(t.issued_at, morning_);
    EXPECT_EQ(t.site_id, "BVDK-QN");
    EXPECT_EQ(t.kiosk_id, "SANH-A-01");

    const auto x = issue(xn_);
    EXPECT_EQ(x.display_number, "CB-001");
    EXPECT_EQ(x.reference, "BVDK-QN-20261124-XN-B001");
}

TEST_F(TicketStoreTest, NextLocalDayRestartsAtOne) {
    // At +07:00, 16:59:59Z is 23:59:59 local on the 24th and 17:00:00Z is midnight of the 25th.
    const auto last_second = utc_ms(2026, 11, 24, 16, 59, 59);
    const auto midnight = utc_ms(2026, 11, 24, 17, 0, 0);
    // 17:00Z the day before is already the 24th locally (the UTC date would say the 23rd).
    const auto early_24th = utc_ms(2026, 11, 23, 17, 0, 0);

    EXPECT_EQ(issue(kbh_, early_24th).sequence, 1);
    EXPECT_EQ(issue(kbh_, last_second).sequence, 2);
    const auto t = issue(kbh_, midnight);
    EXPECT_EQ(t.sequence, 1);
    EXPECT_EQ(t.service_day, (core::LocalDate{2026, 11, 25}));
    EXPECT_EQ(t.reference, "BVDK-QN-20261125-KBH-B001");
    EXPECT_EQ(t.display_number, "AB-001");
    EXPECT_EQ(issue(kbh_, midnight + 1000).sequence, 2);
    EXPECT_EQ(counter("KBH", "2026-11-24"), 2);
    EXPECT_EQ(counter("KBH", "2026-11-25"), 2);
}

TEST_F(TicketStoreTest, TicketAndOutboxRowAreWrittenTogether) {
    const std::vector<core::Ticket> issued = {issue(kbh_), issue(xn_, morning_ + 60'000),
                                              issue(kbh_, morning_ + 120'000)};
    Outbox outbox(*db_);
    EXPECT_EQ(store_->count(), 3);
    EXPECT_EQ(outbox.count(), store_->count());

    const auto entries = outbox.peek(10);
    ASSERT_EQ(entries.size(), issued.size());
    for (std::size_t i = 0; i < issued.size(); ++i) {
        SCOPED_TRACE(issued[i].reference);
        const auto& e = entries[i];
        const auto& t = issued[i];
        if (i > 0) {
            EXPECT_GT(e.id, entries[i - 1].id);
        }
        EXPECT_EQ(e.aggregate_type, "ticket");
        EXPECT_EQ(e.aggregate_id, t.reference);
        EXPECT_EQ(e.operation, "create");
        EXPECT_EQ(e.identifier, t.reference);
        EXPECT_EQ(e.created_at, t.issued_at);
        EXPECT_EQ(e.attempts, 0);

        const auto p = nlohmann::json::parse(e.payload_json);
        EXPECT_EQ(p.at("reference"), t.reference);
        EXPECT_EQ(p.at("display_number"), t.display_number);
        EXPECT_EQ(p.at("service_code"), t.service_code);
        EXPECT_EQ(p.at("service_day"), t.service_day.iso());
        EXPECT_EQ(p.at("sequence"), t.sequence);
        EXPECT_EQ(p.at("issued_at"), t.issued_at);
        EXPECT_EQ(p.at("issued_at_local"),
                  core::local_datetime_rfc3339(t.issued_at, kiosk_.utc_offset_minutes));
        EXPECT_EQ(p.at("site_id"), "BVDK-QN");
        EXPECT_EQ(p.at("kiosk_id"), "SANH-A-01");
        EXPECT_EQ(p.at("kiosk_letter"), "B");
        EXPECT_EQ(p.size(), 10U);
    }
    EXPECT_EQ(nlohmann::json::parse(entries[0].payload_json).at("issued_at_local"),
              "2026-11-24T07:42:05+07:00");

    const auto oldest_two = outbox.peek(2);
    ASSERT_EQ(oldest_two.size(), 2U);
    EXPECT_EQ(oldest_two[0].identifier, issued[0].reference);
    EXPECT_EQ(oldest_two[1].identifier, issued[1].reference);
    EXPECT_TRUE(outbox.peek(0).empty());
}

TEST_F(TicketStoreTest, FindReturnsTheStoredTicket) {
    issue(xn_);
    const auto t = issue(kbh_, morning_ + 5);
    const auto found = store_->find(t.reference);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->reference, t.reference);
    EXPECT_EQ(found->display_number, t.display_number);
    EXPECT_EQ(found->service_code, t.service_code);
    EXPECT_EQ(found->service_day, t.service_day);
    EXPECT_EQ(found->sequence, t.sequence);
    EXPECT_EQ(found->issued_at, t.issued_at);
    EXPECT_EQ(found->site_id, t.site_id);
    EXPECT_EQ(found->kiosk_id, t.kiosk_id);
    EXPECT_FALSE(store_->find("BVDK-QN-20261124-KBH-B999").has_value());
    EXPECT_FALSE(store_->find("").has_value());
}

TEST_F(TicketStoreTest, IssuedTicketIsCommittedWhenIssueReturns) {
    const auto t = issue(kbh_);
    auto other = Database::open(file_); // a second connection sees only committed data
    EXPECT_EQ(query_int(other, "SELECT count(*) FROM tickets WHERE reference = ?1", t.reference.c_str()), 1);
    EXPECT_EQ(query_int(other, "SELECT count(*) FROM outbox WHERE identifier = ?1", t.reference.c_str()), 1);
    EXPECT_EQ(sqlite3_get_autocommit(db_->handle()), 1) << "issue() left a transaction open";
}

TEST_F(TicketStoreTest, RestartContinuesTheNumbering) {
    EXPECT_EQ(issue(kbh_).sequence, 1);
    EXPECT_EQ(issue(kbh_).sequence, 2);
    EXPECT_EQ(issue(xn_).sequence, 1);
    reopen();
    const auto t = issue(kbh_, morning_ + 3'600'000);
    EXPECT_EQ(t.sequence, 3);
    EXPECT_EQ(t.reference, "BVDK-QN-20261124-KBH-B003");
    EXPECT_EQ(issue(xn_).sequence, 2);
    EXPECT_EQ(store_->count(), 5);
    EXPECT_EQ(Outbox(*db_).count(), 5);
}

TEST_F(TicketStoreTest, TwoKiosksOnTwoFilesNeverShareANumber) {
    auto kiosk_a = kiosk_;
    kiosk_a.kiosk_id = "SANH-A-02";
    kiosk_a.kiosk_letter = 'A';
    auto other_db = Database::open(dir_ / "kiosk-a.db");
    TicketStore other(other_db);

    std::set<std::string> refs_a, refs_b, shown_a, shown_b;
    for (int i = 0; i < 50; ++i) {
        const auto a = other.issue(kiosk_a, kbh_, morning_ + i);
        const auto b = issue(kbh_, morning_ + i);
        EXPECT_EQ(a.sequence, i + 1);
        EXPECT_EQ(b.sequence, i + 1);
        refs_a.insert(a.reference);
        shown_a.insert(a.display_number);
        refs_b.insert(b.reference);
        shown_b.insert(b.display_number);
    }
    ASSERT_EQ(refs_a.size(), 50U);
    ASSERT_EQ(refs_b.size(), 50U);
    for (const auto& r : refs_a)
        EXPECT_EQ(refs_b.count(r), 0U) << r;
    for (const auto& d : shown_a)
        EXPECT_EQ(shown_b.count(d), 0U) << d;
    EXPECT_TRUE(refs_a.count("BVDK-QN-20261124-KBH-A001"));
    EXPECT_TRUE(shown_a.count("AA-001"));
    EXPECT_TRUE(shown_b.count("AB-001"));
}

TEST_F(TicketStoreTest, FailedOutboxInsertWritesNothing) {
    issue(kbh_);
    issue(kbh_);
    const std::string next_ref = "BVDK-QN-20261124-KBH-B003";
    {
        detail::Statement block(*db_,
                                "INSERT INTO outbox (aggregate_type, aggregate_id, operation, identifier, "
                                "payload, created_at) VALUES ('test', 'blocker', 'create', ?1, '{}', 0)");
        block.bind_text(1, next_ref);
        block.run();
    }
    Outbox outbox(*db_);
    ASSERT_EQ(outbox.count(), 3);

    try {
        issue(kbh_);
        ADD_FAILURE() << "issue() succeeded although its outbox row could not be written";
    } catch (const StoreError& e) {
        EXPECT_THAT(e.what(), HasSubstr(file_.string()));
        EXPECT_THAT(e.what(), HasSubstr("KBH"));
    }
    EXPECT_EQ(sqlite3_get_autocommit(db_->handle()), 1) << "issue() left a transaction open";
    EXPECT_EQ(counter("KBH", "2026-11-24"), 2) << "the failed issue consumed a sequence number";
    EXPECT_EQ(store_->count(), 2);
    EXPECT_FALSE(store_->find(next_ref).has_value());
    EXPECT_EQ(outbox.count(), 3);

    db_->exec("DELETE FROM outbox WHERE aggregate_type = 'test'");
    const auto t = issue(kbh_);
    EXPECT_EQ(t.sequence, 3);
    EXPECT_EQ(t.reference, next_ref);
    EXPECT_EQ(issue(kbh_).sequence, 4); // the statements were reset after the failure
    EXPECT_EQ(store_->count(), 4);
    EXPECT_EQ(outbox.count(), 4);
}

TEST_F(TicketStoreTest, FailedTicketInsertWritesNothing) {
    issue(kbh_);
    const std::string next_ref = "BVDK-QN-20261124-KBH-B002";
    db_->exec("CREATE TRIGGER no_second_ticket BEFORE INSERT ON tickets WHEN NEW.sequence = 2 "
              "BEGIN SELECT RAISE(ABORT, 'simulated failure'); END");

    EXPECT_THROW(issue(kbh_), StoreError);
    EXPECT_EQ(sqlite3_get_autocommit(db_->handle()), 1) << "issue() left a transaction open";
    EXPECT_EQ(counter("KBH", "2026-11-24"), 1);
    EXPECT_EQ(store_->count(), 1);
    EXPECT_EQ(Outbox(*db_).count(), 1);

    db_->exec("DROP TRIGGER no_second_ticket");
    EXPECT_EQ(issue(kbh_).reference, next_ref);
}

TEST_F(TicketStoreTest, StoreOnAnUnmigratedDatabaseFailsAtConstruction) {
    auto bare = Database::open_unmigrated(dir_ / "bare.db");
    EXPECT_THROW(TicketStore{bare}, StoreError);
}

TEST_F(TicketStoreTest, TicketOfAnIdentifiedPatientCarriesThePatientToTheHis) {
    const core::Ticket t = store_->issue(kiosk_, kbh_, morning_, core::PatientRef{"his-42", ""});
    ASSERT_TRUE(t.patient);
    EXPECT_EQ(t.patient->his_id, "his-42");
    const core::Ticket walk_in = store_->issue(kiosk_, kbh_, morning_, core::PatientRef{"", ""});
    EXPECT_FALSE(walk_in.patient) << "an empty reference is no patient";
    const auto entries = Outbox(*db_).peek(10);
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(nlohmann::json::parse(entries[0].payload_json).at("patient"),
              (nlohmann::json{{"his_id", "his-42"}}));
    EXPECT_FALSE(nlohmann::json::parse(entries[1].payload_json).contains("patient"));
}

} // namespace
} // namespace kiosk::store
