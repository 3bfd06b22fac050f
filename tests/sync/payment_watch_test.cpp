// The background watch of payments the patient left waiting: a real SQLite ledger, a fake HIS.
#include "kiosk/sync/payment_watch.hpp"

#include "temp_dir.hpp"
#include "tests/his/fakes.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <map>
#include <string>

using kiosk::his::InvoiceReading;
using kiosk::his::InvoiceSearch;
using kiosk::store::Database;
using kiosk::store::PaymentLedger;
using kiosk::sync::PaymentWatch;
using kiosk::test::FakeTransport;
using kiosk::test::http;
using kiosk::test::TempDir;
using nlohmann::json;
using State = kiosk::store::PaymentRecord::State;

namespace {

constexpr kiosk::core::UnixMillis kT0 = 1796353200000;
constexpr kiosk::core::UnixMillis kHour = 60 * 60 * 1000;

// The bill number of Invoice "inv1": "HD-INV1".
std::string number_of(std::string id) {
    for (char& c : id)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return "HD-" + id;
}

// A HIS whose Invoices the test sets by id: status per id; an id absent is gone.
struct His {
    std::map<std::string, std::string> status;
    bool down = false;
    FakeTransport transport;
    His() {
        transport.handler = [this](const kiosk::his::HttpRequest& r) {
            if (down) return kiosk::test::unreachable();
            json b = {{"resourceType", "Bundle"}, {"type", "searchset"}, {"entry", json::array()}};
            for (const auto& [id, st] : status)
                if (r.url.find(id) != std::string::npos)
                    b["entry"].push_back({{"resource",
                                           {{"resourceType", "Invoice"},
                                            {"id", id},
                                            {"status", st},
                                            {"identifier", json::array({{{"value", number_of(id)}}})},
                                            {"subject", {{"reference", "Patient/p1"}}},
                                            {"totalGross", {{"value", 1000}, {"currency", "VND"}}}}},
                                          {"search", {{"mode", "match"}}}});
            return http(200, b.dump());
        };
    }
};

kiosk::core::PaymentRequest paying(std::vector<std::string> ids) {
    kiosk::core::PaymentRequest r;
    r.bill_ids = ids;
    for (const auto& id : ids)
        r.bill_numbers.push_back(number_of(id));
    r.reference = r.bill_numbers.front();
    r.amount_vnd = 1000 * static_cast<std::int64_t>(ids.size());
    return r;
}

struct Rig {
    TempDir dir;
    Database db = Database::open(dir / "kiosk.db");
    PaymentLedger ledger{db};
    His his;
    InvoiceSearch invoices{his.transport, "https://his.test/fhir", std::chrono::seconds(3),
                           InvoiceReading{"", 420}};
    PaymentWatch watch{db, invoices};
};

} // namespace

TEST(PaymentWatch, APaymentThatArrivesAfterThePatientLeftIsRecordedAsPaid) {
    Rig r;
    r.ledger.record("k1", "p1", paying({"inv1"}), kT0, kT0 + 24 * kHour);
    r.his.status["inv1"] = "issued";
    auto p = r.watch.pass(kT0 + 60'000);
    EXPECT_EQ(p.asked, 1);
    EXPECT_EQ(p.paid, 0);
    EXPECT_EQ(r.ledger.find("k1")->state, State::Waiting);
    r.his.status["inv1"] = "balanced";
    p = r.watch.pass(kT0 + 120'000);
    EXPECT_EQ(p.paid, 1);
    EXPECT_EQ(r.ledger.find("k1")->state, State::Paid);
    EXPECT_EQ(r.ledger.find("k1")->settled_at, kT0 + 120'000);
    ASSERT_TRUE(r.ledger.paid_for_bill("HD-INV1"));
    EXPECT_EQ(r.watch.pass(kT0 + 180'000).asked, 0) << "a paid payment is not asked about again";
}

TEST(PaymentWatch, ABillCancelledOrGoneStopsThePaymentAndPartlyPaidWaits) {
    Rig r;
    r.ledger.record("both", "p1", paying({"inv1", "inv2"}), kT0, kT0 + kHour);
    r.ledger.record("gone", "p1", paying({"inv3"}), kT0 + 1, kT0 + kHour);
    r.ledger.record("cancelled", "p1", paying({"inv4"}), kT0 + 2, kT0 + kHour);
    r.his.status = {{"inv1", "balanced"}, {"inv2", "issued"}, {"inv4", "cancelled"}};
    const auto p = r.watch.pass(kT0 + 1000);
    EXPECT_EQ(p.asked, 3);
    EXPECT_EQ(p.stopped, 2);
    EXPECT_EQ(r.ledger.find("both")->state, State::Waiting) << "one of two bills paid: still waiting";
    EXPECT_EQ(r.ledger.find("gone")->state, State::Stopped);
    EXPECT_EQ(r.ledger.find("cancelled")->state, State::Stopped);
}

TEST(PaymentWatch, AHisThatDoesNotAnswerLeavesEverythingWaitingForTheNextPass) {
    Rig r;
    r.ledger.record("k1", "p1", paying({"inv1"}), kT0, kT0 + kHour);
    r.ledger.record("k2", "p1", paying({"inv2"}), kT0 + 1, kT0 + kHour);
    r.his.status = {{"inv1", "balanced"}, {"inv2", "balanced"}};
    r.his.down = true;
    const auto p = r.watch.pass(kT0 + 1000);
    EXPECT_FALSE(p.his_answered);
    EXPECT_EQ(p.asked, 1) << "the pass stops at the first unanswered question";
    EXPECT_EQ(r.ledger.find("k1")->state, State::Waiting);
    r.his.down = false;
    EXPECT_EQ(r.watch.pass(kT0 + 2000).paid, 2);
}

TEST(PaymentWatch, AWatchThatEndsUnpaidIsUnconfirmedAndNotAskedAgain) {
    Rig r;
    r.ledger.record("k1", "p1", paying({"inv1"}), kT0, kT0 + kHour);
    r.his.status["inv1"] = "issued";
    const auto p = r.watch.pass(kT0 + kHour);
    EXPECT_EQ(p.unconfirmed, 1);
    EXPECT_EQ(p.asked, 0);
    EXPECT_EQ(r.ledger.find("k1")->state, State::Unconfirmed);
    r.his.status["inv1"] = "balanced";
    EXPECT_EQ(r.watch.pass(kT0 + 2 * kHour).paid, 0);
    EXPECT_TRUE(r.his.transport.requests.empty());
}
