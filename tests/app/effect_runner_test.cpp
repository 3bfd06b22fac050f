#include "kiosk/app/effect_runner.hpp"

#include "app_fakes.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <variant>
#include <vector>

namespace {

using namespace kiosk;
using namespace kiosk::app;
using namespace kiosk::app::testing;

constexpr core::UnixMillis kNow = 1796353200000; // 2026-12-04 03:00 UTC

// The runner with fakes, a manual clock and executors the test runs by hand; what it delivers is kept.
struct Rig {
    FakeTickets tickets;
    FakeFinder finder;
    FakeRegistrar registrar;
    FakeKicker kicker;
    FakeBills bills;
    FakeLedger ledger;
    ManualExecutor store, lookup, main;
    core::ManualClock clock{kNow};
    std::vector<ui::Event> delivered;
    EffectRunner runner;

    explicit Rig(bool with_his = true)
        : runner(EffectRunner::Ports{tickets, finder, registrar, with_his ? &kicker : nullptr,
                                     with_his ? &bills : nullptr, &ledger},
                 EffectRunner::Executors{store, lookup, main}, clock,
                 {core::Service{"KBH", "A", "Khám bảo hiểm", "Insured consultation"}},
                 [this](const ui::Event& e) { delivered.push_back(e); }) {}
};

core::PatientDetails details(std::string name) {
    core::PatientDetails d;
    d.full_name = std::move(name);
    return d;
}

TEST(EffectRunner, ATicketIsStoredOnTheStoreWorkerAndPostedBackAsTicketStored) {
    Rig r;
    r.runner.run(ui::fx::IssueTicket{7, "KBH", core::PatientRef{"his-42", ""}});
    EXPECT_TRUE(r.tickets.calls.empty()) << "stored on the UI thread";
    EXPECT_EQ(r.lookup.pending(), 0u);
    r.clock.advance(1500);
    ASSERT_EQ(r.store.run_all(), 1u);
    ASSERT_EQ(r.tickets.calls.size(), 1u);
    EXPECT_EQ(r.tickets.calls[0].service.code, "KBH");
    EXPECT_EQ(r.tickets.calls[0].now, kNow + 1500) << "the ticket carries the runner's clock at storing";
    ASSERT_TRUE(r.tickets.calls[0].patient.has_value());
    EXPECT_EQ(r.tickets.calls[0].patient->his_id, "his-42");
    EXPECT_TRUE(r.delivered.empty()) << "results reach the flow on the UI thread only";
    EXPECT_EQ(r.kicker.kicks, 0u);

    ASSERT_EQ(r.main.run_all(), 1u);
    ASSERT_EQ(r.delivered.size(), 1u);
    const auto* stored = std::get_if<ui::ev::TicketStored>(&r.delivered[0]);
    ASSERT_NE(stored, nullptr);
    EXPECT_EQ(stored->request, 7u);
    EXPECT_EQ(stored->ticket.display_number, "A-001");
    EXPECT_EQ(r.kicker.kicks, 1u) << "a stored ticket is a new record for the HIS";
    EXPECT_EQ(r.runner.kicks_sent(), 1u);
}

TEST(EffectRunner, ATicketTheStoreRefusesPostsTicketFailedAndKicksNothing) {
    Rig r;
    r.tickets.fail = true;
    r.runner.run(ui::fx::IssueTicket{3, "KBH", std::nullopt});
    r.store.run_all();
    r.main.run_all();
    ASSERT_EQ(r.delivered.size(), 1u);
    const auto* failed = std::get_if<ui::ev::TicketFailed>(&r.delivered[0]);
    ASSERT_NE(failed, nullptr);
    EXPECT_EQ(failed->request, 3u);
    EXPECT_EQ(r.kicker.kicks, 0u);
    EXPECT_EQ(r.runner.kicks_sent(), 0u);
}

TEST(EffectRunner, AServiceTheSiteDoesNotOfferFailsAtOnceWithoutStoring) {
    Rig r;
    r.runner.run(ui::fx::IssueTicket{4, "NOPE", std::nullopt});
    EXPECT_EQ(r.store.pending(), 0u);
    ASSERT_EQ(r.delivered.size(), 1u);
    EXPECT_TRUE(std::holds_alternative<ui::ev::TicketFailed>(r.delivered[0]));
}

TEST(EffectRunner, ARegistrationIsStoredThenKicksTheSyncAndPostsTheMaskedName) {
    Rig r;
    r.runner.run(ui::fx::RegisterPatient{9, details("Trần Thị Bình")});
    EXPECT_TRUE(r.registrar.calls.empty());
    r.clock.advance(20);
    r.store.run_all();
    ASSERT_EQ(r.registrar.calls.size(), 1u);
    EXPECT_EQ(r.registrar.calls[0], kNow + 20);
    EXPECT_EQ(r.kicker.kicks, 0u) << "kicked only once stored, from the UI thread";
    r.main.run_all();
    EXPECT_EQ(r.kicker.kicks, 1u);
    EXPECT_EQ(r.runner.kicks_sent(), 1u);
    ASSERT_EQ(r.delivered.size(), 1u);
    const auto* reg = std::get_if<ui::ev::Registered>(&r.delivered[0]);
    ASSERT_NE(reg, nullptr);
    EXPECT_EQ(reg->request, 9u);
    EXPECT_EQ(reg->patient.kiosk_patient_id, "KIOSK-P-1");
    EXPECT_EQ(reg->patient.masked_name, core::mask_name("Trần Thị Bình"));
    EXPECT_NE(reg->patient.masked_name, "Trần Thị Bình") << "never the whole name";
}

TEST(EffectRunner, AFailedRegistrationPostsRegistrationFailedAndKicksNothing) {
    Rig r;
    r.registrar.fail = true;
    r.runner.run(ui::fx::RegisterPatient{5, details("Nguyễn Văn An")});
    r.store.run_all();
    r.main.run_all();
    ASSERT_EQ(r.delivered.size(), 1u);
    EXPECT_TRUE(std::holds_alternative<ui::ev::RegistrationFailed>(r.delivered[0]));
    EXPECT_EQ(r.kicker.kicks, 0u);
}

TEST(EffectRunner, WithoutAHisNothingIsKickedAndTicketsStillAreStored) {
    Rig r(false);
    r.runner.run(ui::fx::IssueTicket{1, "KBH", std::nullopt});
    r.store.run_all();
    r.main.run_all();
    ASSERT_EQ(r.delivered.size(), 1u);
    EXPECT_TRUE(std::holds_alternative<ui::ev::TicketStored>(r.delivered[0]));
    EXPECT_EQ(r.kicker.kicks, 0u);
    EXPECT_EQ(r.runner.kicks_sent(), 0u);
}

TEST(EffectRunner, ALookupRunsOnTheLookupWorkerAndPostsLookupDone) {
    Rig r;
    r.finder.answer = found("Trần T** B**", "his-7");
    r.runner.run(ui::fx::LookupPatient{11, ui::IdKind::Cccd, "001185004321"});
    EXPECT_EQ(r.store.pending(), 0u) << "a slow HIS must not hold the ticket writes";
    ASSERT_EQ(r.lookup.run_all(), 1u);
    ASSERT_EQ(r.finder.asked, std::vector<std::string>{"001185004321"});
    EXPECT_TRUE(r.delivered.empty());
    r.main.run_all();
    ASSERT_EQ(r.delivered.size(), 1u);
    const auto* done = std::get_if<ui::ev::LookupDone>(&r.delivered[0]);
    ASSERT_NE(done, nullptr);
    EXPECT_EQ(done->request, 11u);
    EXPECT_EQ(done->outcome.kind, ui::LookupOutcome::Kind::Found);
    EXPECT_EQ(done->outcome.patient.his_id, "his-7");
    EXPECT_EQ(r.kicker.kicks, 0u) << "a lookup stores nothing for the HIS";
}

TEST(EffectRunner, ALookupThatCannotReadTheKiosksRecordsSendsThePatientToTheDesk) {
    Rig r;
    r.finder.answer.reset(); // throws
    r.runner.run(ui::fx::LookupPatient{12, ui::IdKind::Bhyt, "DN4790123456789"});
    r.lookup.run_all();
    r.main.run_all();
    ASSERT_EQ(r.delivered.size(), 1u);
    const auto* done = std::get_if<ui::ev::LookupDone>(&r.delivered[0]);
    ASSERT_NE(done, nullptr);
    // Not NotFound: that would offer a registration that could duplicate a known patient.
    EXPECT_EQ(done->outcome.kind, ui::LookupOutcome::Kind::HisUnavailable);
    EXPECT_TRUE(done->outcome.his_offline);
}

// The kiosk's own executors: the ticket is stored on a Worker thread and comes back through the MainQueue,
// whose wake-up tells the UI thread to drain it.
TEST(EffectRunner, WithTheKiosksWorkerAndMainQueueTheResultComesBackOnTheDrainingThread) {
    FakeTickets tickets;
    FakeFinder finder;
    FakeRegistrar registrar;
    FakeKicker kicker;
    core::ManualClock clock{kNow};
    std::mutex mutex;
    std::condition_variable woken;
    int wakes = 0;
    MainQueue main([&] {
        std::lock_guard lock(mutex);
        ++wakes;
        woken.notify_all();
    });
    std::vector<ui::Event> delivered;
    {
        Worker store, lookup;
        EffectRunner runner(EffectRunner::Ports{tickets, finder, registrar, &kicker},
                            EffectRunner::Executors{store, lookup, main}, clock,
                            {core::Service{"KBH", "A", "Khám bảo hiểm", "Insured consultation"}},
                            [&](const ui::Event& e) { delivered.push_back(e); });
        runner.run(ui::fx::IssueTicket{21, "KBH", std::nullopt});
        {
            std::unique_lock lock(mutex);
            ASSERT_TRUE(woken.wait_for(lock, std::chrono::seconds(30), [&] { return wakes > 0; }));
        }
        EXPECT_TRUE(delivered.empty()) << "nothing reaches the flow before the UI thread drains";
        EXPECT_EQ(main.drain(), 1u);
        ASSERT_EQ(delivered.size(), 1u);
        EXPECT_TRUE(std::holds_alternative<ui::ev::TicketStored>(delivered[0]));
        EXPECT_EQ(runner.kicks_sent(), 1u);
    }
    EXPECT_EQ(tickets.calls.size(), 1u);
}

TEST(EffectRunner, ForgettingThePatientStartsNoWork) {
    Rig r;
    r.runner.run(ui::fx::ForgetPatient{});
    EXPECT_EQ(r.store.pending() + r.lookup.pending() + r.main.pending(), 0u);
    EXPECT_TRUE(r.delivered.empty());
}

core::Bill bill(std::string id, core::Bill::Status status) {
    core::Bill b;
    b.his_id = std::move(id);
    b.number = "HD-" + b.his_id;
    b.amount_vnd = 150000;
    b.status = status;
    return b;
}

TEST(EffectRunner, BillsAreAskedForOnTheLookupWorkerAndPostedBack) {
    Rig r;
    r.bills.answer = {true, {bill("inv-1", core::Bill::Status::Payable)}, 2};
    r.runner.run(ui::fx::LoadBills{21, "his-7"});
    EXPECT_EQ(r.store.pending(), 0u);
    ASSERT_EQ(r.lookup.run_all(), 1u);
    EXPECT_EQ(r.bills.asked_patients, std::vector<std::string>{"his-7"});
    EXPECT_TRUE(r.delivered.empty());
    r.main.run_all();
    ASSERT_EQ(r.delivered.size(), 1u);
    const auto* loaded = std::get_if<ui::ev::BillsLoaded>(&r.delivered[0]);
    ASSERT_NE(loaded, nullptr);
    EXPECT_EQ(loaded->request, 21u);
    EXPECT_TRUE(loaded->answered);
    ASSERT_EQ(loaded->bills.size(), 1u);
    EXPECT_EQ(loaded->bills[0].his_id, "inv-1");
    EXPECT_EQ(loaded->unusable, 2u);
}

TEST(EffectRunner, APaymentsBillsAreAskedForByIdAndTheAnswerCarriesItsTime) {
    Rig r;
    r.bills.answer = {true, {bill("inv-1", core::Bill::Status::Paid)}, 0};
    r.runner.run(ui::fx::FetchPaymentStatus{22, {"inv-1", "inv-2"}});
    r.clock.advance(700);
    r.lookup.run_all();
    ASSERT_EQ(r.bills.asked_ids.size(), 1u);
    EXPECT_EQ(r.bills.asked_ids[0], (std::vector<std::string>{"inv-1", "inv-2"}));
    r.main.run_all();
    ASSERT_EQ(r.delivered.size(), 1u);
    const auto* checked = std::get_if<ui::ev::PaymentChecked>(&r.delivered[0]);
    ASSERT_NE(checked, nullptr);
    EXPECT_EQ(checked->request, 22u);
    EXPECT_TRUE(checked->answered);
    EXPECT_EQ(checked->at, kNow + 700);
    ASSERT_EQ(checked->bills.size(), 1u);
    EXPECT_EQ(checked->bills[0].status, core::Bill::Status::Paid);
}

TEST(EffectRunner, BillsThatCannotBeAskedForAreUnansweredNeverLost) {
    Rig r;
    r.bills.throws = true;
    r.runner.run(ui::fx::LoadBills{23, "his-7"});
    r.runner.run(ui::fx::FetchPaymentStatus{24, {"inv-1"}});
    r.lookup.run_all();
    r.main.run_all();
    ASSERT_EQ(r.delivered.size(), 2u);
    EXPECT_FALSE(std::get<ui::ev::BillsLoaded>(r.delivered[0]).answered);
    EXPECT_FALSE(std::get<ui::ev::PaymentChecked>(r.delivered[1]).answered);

    Rig no_his(false);
    no_his.runner.run(ui::fx::LoadBills{25, "his-7"});
    no_his.runner.run(ui::fx::FetchPaymentStatus{26, {"inv-1"}});
    EXPECT_EQ(no_his.lookup.pending(), 0u);
    ASSERT_EQ(no_his.delivered.size(), 2u);
    EXPECT_FALSE(std::get<ui::ev::BillsLoaded>(no_his.delivered[0]).answered);
    EXPECT_EQ(std::get<ui::ev::PaymentChecked>(no_his.delivered[1]).request, 26u);
}

TEST(EffectRunner, PaymentsAreKeptInTheLedgerOnTheStoreWorkerInOrder) {
    Rig r;
    core::PaymentRequest req;
    req.bill_ids = {"inv-1"};
    req.amount_vnd = 150000;
    r.runner.run(ui::fx::RecordPayment{"k1", "his-7", req, kNow, kNow + 1000});
    r.runner.run(ui::fx::SettlePayment{"k1", true, kNow + 500});
    EXPECT_TRUE(r.ledger.recorded.empty()) << "not on the UI thread";
    EXPECT_EQ(r.lookup.pending(), 0u);
    EXPECT_EQ(r.store.run_all(), 2u);
    ASSERT_EQ(r.ledger.recorded.size(), 1u);
    EXPECT_EQ(r.ledger.recorded[0].key, "k1");
    ASSERT_EQ(r.ledger.settled.size(), 1u);
    EXPECT_TRUE(r.ledger.settled[0].paid);
    EXPECT_EQ(r.main.pending(), 0u) << "nothing comes back to the flow";
}

TEST(EffectRunner, ALedgerThatCannotBeWrittenLosesNoScreen) {
    Rig r;
    r.ledger.fail = true;
    r.runner.run(ui::fx::RecordPayment{"k1", "his-7", {}, kNow, kNow + 1000});
    EXPECT_NO_THROW(r.store.run_all());
    EXPECT_TRUE(r.delivered.empty());
}

TEST(EffectRunner, AScannedBillsReceiptComesFromTheLedgerOnTheStoreWorker) {
    Rig r;
    core::PaymentRequest paid;
    paid.bill_numbers = {"HD1"};
    paid.amount_vnd = 150000;
    r.ledger.receipts["HD1"] = {paid, kNow - 5000};
    r.runner.run(ui::fx::FindReceipt{31, "HD1"});
    r.runner.run(ui::fx::FindReceipt{32, "HD2"});
    EXPECT_EQ(r.store.run_all(), 2u);
    r.main.run_all();
    ASSERT_EQ(r.delivered.size(), 2u);
    const auto& found = std::get<ui::ev::ReceiptFound>(r.delivered[0]);
    EXPECT_EQ(found.request, 31u);
    ASSERT_TRUE(found.paid);
    EXPECT_EQ(found.paid->amount_vnd, 150000);
    EXPECT_EQ(found.paid_at, kNow - 5000);
    EXPECT_FALSE(std::get<ui::ev::ReceiptFound>(r.delivered[1]).paid);
    // A ledger that cannot be read answers "none recorded", never nothing.
    r.ledger.fail = true;
    r.runner.run(ui::fx::FindReceipt{33, "HD1"});
    r.store.run_all();
    r.main.run_all();
    ASSERT_EQ(r.delivered.size(), 3u);
    EXPECT_FALSE(std::get<ui::ev::ReceiptFound>(r.delivered[2]).paid);
}

TEST(EffectRunner, ThePaymentTimerIsTheAppsNotWork) {
    Rig r;
    r.runner.run(ui::fx::CheckPaymentIn{27, std::chrono::milliseconds(2000)});
    EXPECT_EQ(r.store.pending() + r.lookup.pending() + r.main.pending(), 0u);
    EXPECT_TRUE(r.delivered.empty());
}

} // namespace
