#include "kiosk/store/payment_ledger.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace kiosk::store {
namespace {

using test::TempDir;
using State = PaymentRecord::State;

constexpr core::UnixMillis kT0 = 1796353200000; // 2026-12-04 03:00 UTC
constexpr core::UnixMillis kHour = 60 * 60 * 1000;

core::PaymentRequest request(std::vector<std::string> ids, std::vector<std::string> numbers,
                             std::int64_t amount) {
    core::PaymentRequest r;
    r.bill_ids = std::move(ids);
    r.bill_numbers = std::move(numbers);
    r.amount_vnd = amount;
    r.reference =
        r.bill_numbers.size() == 1 ? r.bill_numbers[0] : r.bill_numbers[0] + "+" + r.bill_numbers[1];
    r.purpose = "Vien phi " + r.reference;
    return r;
}

struct Ledger {
    TempDir dir;
    Database db = Database::open(dir / "kiosk.db");
    PaymentLedger ledger{db};
};

TEST(PaymentLedger, ACodeShownIsWaitingAndReadBackAsItWasRecorded) {
    Ledger l;
    l.ledger.record("k1", "his-an", request({"inv-1", "inv-2"}, {"HD1", "HD2"}, 235000), kT0,
                    kT0 + 24 * kHour);
    const auto r = l.ledger.find("k1");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->patient_his_id, "his-an");
    EXPECT_EQ(r->request.bill_ids, (std::vector<std::string>{"inv-1", "inv-2"}));
    EXPECT_EQ(r->request.bill_numbers, (std::vector<std::string>{"HD1", "HD2"}));
    EXPECT_EQ(r->request.reference, "HD1+HD2");
    EXPECT_EQ(r->request.amount_vnd, 235000);
    EXPECT_EQ(r->shown_at, kT0);
    EXPECT_EQ(r->watch_until, kT0 + 24 * kHour);
    EXPECT_EQ(r->state, State::Waiting);
    EXPECT_EQ(r->settled_at, 0);
    // The same effect run twice records one payment, unchanged.
    l.ledger.record("k1", "his-other", request({"inv-9"}, {"HD9"}, 1), kT0 + 5, kT0 + 6);
    EXPECT_EQ(l.ledger.count(), 1);
    EXPECT_EQ(l.ledger.find("k1")->patient_his_id, "his-an");
}

TEST(PaymentLedger, SettlingChangesOnlyAWaitingPaymentSoAReceiptIsNeverUndone) {
    Ledger l;
    l.ledger.record("k1", "his-an", request({"inv-1"}, {"HD1"}, 150000), kT0, kT0 + kHour);
    EXPECT_TRUE(l.ledger.settle("k1", State::Paid, kT0 + 30'000));
    EXPECT_FALSE(l.ledger.settle("k1", State::Stopped, kT0 + 60'000))
        << "a late 'cancelled' after the receipt";
    const auto r = l.ledger.find("k1");
    EXPECT_EQ(r->state, State::Paid);
    EXPECT_EQ(r->settled_at, kT0 + 30'000);
    EXPECT_FALSE(l.ledger.settle("no-such-key", State::Paid, kT0));
    EXPECT_THROW(l.ledger.settle("k1", State::Waiting, kT0), std::invalid_argument);
}

TEST(PaymentLedger, OnlyWaitingPaymentsWithinTheirWatchAreWatchedAndEndedWatchesAreUnconfirmed) {
    Ledger l;
    l.ledger.record("old", "his-a", request({"inv-1"}, {"HD1"}, 1000), kT0, kT0 + kHour);
    l.ledger.record("new", "his-b", request({"inv-2"}, {"HD2"}, 2000), kT0 + 10, kT0 + 2 * kHour);
    l.ledger.record("paid", "his-c", request({"inv-3"}, {"HD3"}, 3000), kT0 + 20, kT0 + 2 * kHour);
    l.ledger.settle("paid", State::Paid, kT0 + 30);
    std::vector<std::string> keys;
    for (const auto& r : l.ledger.watched(kT0 + 100))
        keys.push_back(r.key);
    EXPECT_EQ(keys, (std::vector<std::string>{"old", "new"})) << "oldest first, the paid one not";
    EXPECT_EQ(l.ledger.watched(kT0 + 100, 1).size(), 1u);
    EXPECT_EQ(l.ledger.end_watches(kT0 + kHour), 1);
    EXPECT_EQ(l.ledger.find("old")->state, State::Unconfirmed);
    EXPECT_EQ(l.ledger.find("old")->settled_at, kT0 + kHour);
    ASSERT_EQ(l.ledger.watched(kT0 + kHour).size(), 1u);
    EXPECT_EQ(l.ledger.watched(kT0 + kHour)[0].key, "new");
}

TEST(PaymentLedger, TheReceiptOfABillIsItsNewestPaidPayment) {
    Ledger l;
    l.ledger.record("a", "his-an", request({"inv-1", "inv-2"}, {"HD1", "HD2"}, 3000), kT0, kT0 + kHour);
    l.ledger.record("b", "his-an", request({"inv-2"}, {"HD2"}, 2000), kT0 + 1000, kT0 + kHour);
    EXPECT_FALSE(l.ledger.paid_for_bill("HD2")) << "nothing paid yet";
    l.ledger.settle("a", State::Paid, kT0 + 5000);
    ASSERT_TRUE(l.ledger.paid_for_bill("HD2"));
    EXPECT_EQ(l.ledger.paid_for_bill("HD2")->key, "a");
    EXPECT_EQ(l.ledger.paid_for_bill("HD1")->key, "a");
    EXPECT_FALSE(l.ledger.paid_for_bill("HD")) << "a whole number, not a prefix";
    EXPECT_FALSE(l.ledger.paid_for_bill("HD1+HD2")) << "a bill's number, not the reference";
}

TEST(PaymentLedger, RetentionForgetsSettledPaymentsButNeverAWaitingOne) {
    Ledger l;
    l.ledger.record("settled", "his-a", request({"inv-1"}, {"HD1"}, 1000), kT0, kT0 + kHour);
    l.ledger.record("waiting", "his-b", request({"inv-2"}, {"HD2"}, 2000), kT0, kT0 + 1000 * kHour);
    l.ledger.settle("settled", State::Paid, kT0 + 1);
    EXPECT_EQ(l.ledger.forget_older_than(kT0 + 1), 1);
    EXPECT_FALSE(l.ledger.find("settled"));
    EXPECT_TRUE(l.ledger.find("waiting"));
}

TEST(PaymentLedger, APaymentSurvivesReopeningTheDatabase) {
    TempDir dir;
    {
        Database db = Database::open(dir / "kiosk.db");
        PaymentLedger(db).record("k1", "his-an", request({"inv-1"}, {"HD1"}, 150000), kT0, kT0 + kHour);
    }
    Database db = Database::open(dir / "kiosk.db");
    PaymentLedger ledger(db);
    ASSERT_TRUE(ledger.find("k1"));
    EXPECT_EQ(ledger.find("k1")->request.amount_vnd, 150000);
}

} // namespace
} // namespace kiosk::store
