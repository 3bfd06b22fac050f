// The payment journey: bills of the identified patient, one or all paid by a VietQR code, the HIS asked
// on a timer until it says paid, the code's countdown, a bill cancelled meanwhile, and the paths back.
#include "kiosk/core/vietqr.hpp"
#include "kiosk/ui/flow.hpp"

#include "ui/flow_helpers.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

using namespace kiosk::ui;
using namespace kiosk::ui::testing;
using kiosk::core::Bill;
using std::chrono::milliseconds;

namespace {

constexpr int kYear = 2026;
const std::string kAnQr =
    "079090001234|025123456|Nguyễn Văn An|15011990|Nam|12 Lê Lợi, Quận 1, TP Hồ Chí Minh|01072021";
constexpr kiosk::core::UnixMillis kNow = 1'796'000'000'000; // 2026-12-01

PaymentSettings settings() {
    PaymentSettings s;
    s.account.bin = "970436";
    s.account.account = "0071000123456";
    s.account.account_name = "BENH VIEN DA KHOA TEST";
    s.account.bank_name = "Vietcombank";
    s.code_valid = std::chrono::minutes(10);
    s.poll_first = std::chrono::seconds(2);
    s.poll_longest = std::chrono::seconds(15);
    return s;
}

Bill bill(std::string id, std::string number, std::int64_t amount,
          Bill::Status status = Bill::Status::Payable) {
    Bill b;
    b.his_id = std::move(id);
    b.number = std::move(number);
    b.description = "Khám bệnh";
    b.amount_vnd = amount;
    b.status = status;
    return b;
}

// The patient the HIS knows as "his-an", greeted.
Flow greeted(std::string his_id = "his-an") {
    Flow f(Language::Vi, settings());
    const auto l = work_of<fx::LookupPatient>(f.handle(ev::Scanned{kAnQr, kYear}));
    LookupOutcome o;
    o.kind = LookupOutcome::Kind::Found;
    o.patient.masked_name = "Nguyễn V*** A";
    o.patient.his_id = std::move(his_id);
    if (o.patient.his_id.empty()) o.patient.kiosk_patient_id = "K-1";
    f.handle(ev::LookupDone{l.request, o});
    EXPECT_EQ(f.screen(), Screen::Greeting);
    return f;
}

// The patient's two bills on screen.
Flow bills_on_screen() {
    Flow f = greeted();
    const auto load = work_of<fx::LoadBills>(f.handle(ev::TapFeature{Feature::Pay}));
    EXPECT_EQ(load.patient_his_id, "his-an");
    EXPECT_EQ(f.screen(), Screen::LoadingBills);
    f.handle(ev::BillsLoaded{
        load.request, true, {bill("inv-1", "HD001", 150000), bill("inv-2", "HD002", 50000)}, 0});
    EXPECT_EQ(f.screen(), Screen::Bills);
    return f;
}

} // namespace

TEST(FlowPayment, PayIsOfferedOnlyWithAnAccount) {
    EXPECT_TRUE(Flow(Language::Vi, settings()).offers(Feature::Pay));
    EXPECT_FALSE(Flow(Language::Vi).offers(Feature::Pay));
}

TEST(FlowPayment, PayFromWelcomeAsksWhoThePatientIsFirst) {
    Flow f(Language::Vi, settings());
    EXPECT_TRUE(no_effect(f.handle(ev::TapFeature{Feature::Pay})));
    EXPECT_EQ(f.screen(), Screen::Identify);
}

TEST(FlowPayment, APatientTheHisDoesNotKnowYetHasNoBillsToAskFor) {
    Flow f = greeted("");
    EXPECT_TRUE(no_effect(f.handle(ev::TapFeature{Feature::Pay})));
    EXPECT_EQ(f.screen(), Screen::BillsUnavailable);
    EXPECT_TRUE(f.payment().no_his_record);
    EXPECT_TRUE(no_effect(f.handle(ev::Retry{})));
    EXPECT_EQ(f.screen(), Screen::BillsUnavailable) << "asking again cannot help";
    f.handle(ev::Back{});
    EXPECT_EQ(f.screen(), Screen::Greeting);
}

TEST(FlowPayment, NoAnswerIsUnavailableWithRetryAndNoBillsIsSaid) {
    Flow f = greeted();
    auto load = work_of<fx::LoadBills>(f.handle(ev::TapFeature{Feature::Pay}));
    f.handle(ev::BillsLoaded{load.request, false, {}, 0});
    EXPECT_EQ(f.screen(), Screen::BillsUnavailable);
    load = work_of<fx::LoadBills>(f.handle(ev::Retry{}));
    EXPECT_EQ(f.screen(), Screen::LoadingBills);
    f.handle(ev::BillsLoaded{load.request, true, {}, 1});
    EXPECT_EQ(f.screen(), Screen::NoBills);
    EXPECT_EQ(f.payment().unusable, 1u) << "the screen sends the patient to the cashier for it";
}

TEST(FlowPayment, AStaleBillsAnswerChangesNothing) {
    Flow f = greeted();
    const auto first = work_of<fx::LoadBills>(f.handle(ev::TapFeature{Feature::Pay}));
    f.handle(ev::BillsLoaded{first.request, false, {}, 0});
    const auto second = work_of<fx::LoadBills>(f.handle(ev::Retry{}));
    f.handle(ev::BillsLoaded{first.request, true, {bill("inv-1", "HD001", 1000)}, 0});
    EXPECT_EQ(f.screen(), Screen::LoadingBills);
    f.handle(ev::BillsLoaded{second.request, true, {}, 0});
    EXPECT_EQ(f.screen(), Screen::NoBills);
}

TEST(FlowPayment, OneBillsCodeIsForExactlyItsAmountToTheHospitalsAccount) {
    Flow f = bills_on_screen();
    const Effects e = f.handle(ev::PayBills{1, kNow});
    ASSERT_EQ(e.size(), 2u);
    // Kept in the ledger first (the patient may leave before the HIS says paid), then the first question.
    const auto record = std::get<fx::RecordPayment>(e[0]);
    EXPECT_EQ(record.key, f.payment().payment_key);
    EXPECT_FALSE(record.key.empty());
    EXPECT_EQ(record.patient_his_id, "his-an");
    EXPECT_EQ(record.request.bill_ids, std::vector<std::string>{"inv-2"});
    EXPECT_EQ(record.request.amount_vnd, 50000);
    EXPECT_EQ(record.shown_at, kNow);
    EXPECT_EQ(record.watch_until, kNow + 24 * 60 * 60 * 1000);
    const auto timer = std::get<fx::CheckPaymentIn>(e[1]);
    EXPECT_EQ(timer.delay, milliseconds(2000));
    EXPECT_EQ(f.screen(), Screen::PayByQr);
    EXPECT_EQ(timer.request, f.payment().request);
    const auto parsed = kiosk::core::vietqr::parse(f.payment().code);
    ASSERT_TRUE(parsed.payment) << kiosk::core::vietqr::problem_name(parsed.refusal->problem);
    EXPECT_EQ(parsed.payment->bin, "970436");
    EXPECT_EQ(parsed.payment->account, "0071000123456");
    EXPECT_EQ(parsed.payment->amount_vnd, 50000);
    EXPECT_EQ(parsed.payment->bill_number, "HD002");
    EXPECT_EQ(f.payment().expires_at, kNow + 10 * 60 * 1000);
}

TEST(FlowPayment, AllBillsTogetherAreOneCodeForTheirSum) {
    Flow f = bills_on_screen();
    EXPECT_TRUE(f.payment().can_pay_all());
    f.handle(ev::PayBills{std::nullopt, kNow});
    ASSERT_EQ(f.screen(), Screen::PayByQr);
    const auto parsed = kiosk::core::vietqr::parse(f.payment().code);
    ASSERT_TRUE(parsed.payment);
    EXPECT_EQ(parsed.payment->amount_vnd, 200000);
    EXPECT_EQ(parsed.payment->bill_number, "HD001+HD002");
    EXPECT_EQ(f.payment().paying->bill_ids, (std::vector<std::string>{"inv-1", "inv-2"}));
}

TEST(FlowPayment, TheHisIsAskedOnEachTimerUntilItSaysPaidThenTheReceipt) {
    Flow f = bills_on_screen();
    f.handle(ev::PayBills{0, kNow});
    const std::uint64_t r = f.payment().request;
    // The timer fires: ask, and plan the next question at once (backing off).
    Effects e = f.handle(ev::PaymentCheckDue{r, kNow + 2000});
    ASSERT_EQ(e.size(), 2u);
    EXPECT_EQ(std::get<fx::FetchPaymentStatus>(e[0]).bill_ids, std::vector<std::string>{"inv-1"});
    const auto next = std::get<fx::CheckPaymentIn>(e[1]);
    EXPECT_GT(next.delay, milliseconds(2000));
    // Still payable.
    EXPECT_TRUE(
        no_effect(f.handle(ev::PaymentChecked{r, true, {bill("inv-1", "HD001", 150000)}, kNow + 2500})));
    EXPECT_EQ(f.screen(), Screen::PayByQr);
    // Next timer, while that question is answered: the HIS says balanced.
    e = f.handle(ev::PaymentCheckDue{r, kNow + 6000});
    ASSERT_TRUE(std::holds_alternative<fx::FetchPaymentStatus>(e[0]));
    const auto settle = work_of<fx::SettlePayment>(f.handle(
        ev::PaymentChecked{r, true, {bill("inv-1", "HD001", 150000, Bill::Status::Paid)}, kNow + 6400}));
    EXPECT_EQ(f.screen(), Screen::PaymentReceived);
    EXPECT_EQ(settle.key, f.payment().payment_key);
    EXPECT_TRUE(settle.paid);
    EXPECT_EQ(settle.at, kNow + 6400);
    EXPECT_EQ(f.payment().paid_at, kNow + 6400);
    // A late timer after the receipt does nothing; Done ends the session.
    EXPECT_TRUE(no_effect(f.handle(ev::PaymentCheckDue{r, kNow + 9000})));
    f.handle(ev::Done{});
    EXPECT_EQ(f.screen(), Screen::Welcome);
    EXPECT_FALSE(f.payment().paying);
}

TEST(FlowPayment, OneQuestionAtATimeWhileTheHisIsSlowButTheTimerGoesOn) {
    Flow f = bills_on_screen();
    f.handle(ev::PayBills{0, kNow});
    const std::uint64_t r = f.payment().request;
    EXPECT_EQ(f.handle(ev::PaymentCheckDue{r, kNow + 2000}).size(), 2u);
    // No answer yet: the next timer asks nothing new, and still plans the one after.
    EXPECT_TRUE(holds_only<fx::CheckPaymentIn>(f.handle(ev::PaymentCheckDue{r, kNow + 5000})));
    // No answer at all (the HIS could not be asked): the next timer asks again.
    f.handle(ev::PaymentChecked{r, false, {}, kNow + 8000});
    EXPECT_EQ(f.screen(), Screen::PayByQr);
    EXPECT_EQ(f.handle(ev::PaymentCheckDue{r, kNow + 9000}).size(), 2u);
}

TEST(FlowPayment, TheCodeExpiresAfterItsTimeWithOneLastQuestion) {
    Flow f = bills_on_screen();
    f.handle(ev::PayBills{0, kNow});
    const std::uint64_t r = f.payment().request;
    EXPECT_EQ(f.idle_limit(std::chrono::seconds(60)), std::nullopt) << "the countdown, not the idle timer";
    EXPECT_TRUE(holds_only<fx::FetchPaymentStatus>(f.handle(ev::PaymentCheckDue{r, kNow + 10 * 60 * 1000})));
    EXPECT_EQ(f.screen(), Screen::PaymentExpired);
    EXPECT_TRUE(f.idle_limit(std::chrono::seconds(60)));
    // Paid in the last seconds: the receipt after all.
    f.handle(
        ev::PaymentChecked{r, true, {bill("inv-1", "HD001", 150000, Bill::Status::Paid)}, kNow + 600'500});
    EXPECT_EQ(f.screen(), Screen::PaymentReceived);
}

TEST(FlowPayment, AnExpiredCodesStillPayableAnswerLeavesItExpiredAndBackReloadsTheBills) {
    Flow f = bills_on_screen();
    f.handle(ev::PayBills{0, kNow});
    const std::uint64_t r = f.payment().request;
    f.handle(ev::PaymentCheckDue{r, kNow + 10 * 60 * 1000});
    f.handle(ev::PaymentChecked{r, true, {bill("inv-1", "HD001", 150000)}, kNow + 600'500});
    EXPECT_EQ(f.screen(), Screen::PaymentExpired);
    const auto load = work_of<fx::LoadBills>(f.handle(ev::Back{}));
    EXPECT_EQ(f.screen(), Screen::LoadingBills);
    EXPECT_EQ(load.patient_his_id, "his-an");
}

TEST(FlowPayment, ABillCancelledOrGoneMeanwhileStopsThePayment) {
    for (const bool gone : {false, true}) {
        Flow f = bills_on_screen();
        f.handle(ev::PayBills{std::nullopt, kNow});
        const std::uint64_t r = f.payment().request;
        f.handle(ev::PaymentCheckDue{r, kNow + 2000});
        std::vector<Bill> now{bill("inv-1", "HD001", 150000, Bill::Status::Paid)};
        if (!gone) now.push_back(bill("inv-2", "HD002", 50000, Bill::Status::Cancelled));
        const auto settle =
            work_of<fx::SettlePayment>(f.handle(ev::PaymentChecked{r, true, now, kNow + 2500}));
        EXPECT_EQ(f.screen(), Screen::PaymentStopped) << (gone ? "gone" : "cancelled");
        EXPECT_FALSE(settle.paid);
    }
}

TEST(FlowPayment, CancellingTheCodeReloadsTheBillsAndItsLateAnswersAreIgnored) {
    Flow f = bills_on_screen();
    f.handle(ev::PayBills{0, kNow});
    const std::uint64_t r = f.payment().request;
    f.handle(ev::PaymentCheckDue{r, kNow + 2000});
    const auto load = work_of<fx::LoadBills>(f.handle(ev::Back{}));
    EXPECT_EQ(f.screen(), Screen::LoadingBills);
    EXPECT_NE(load.request, r);
    f.handle(ev::PaymentChecked{r, true, {bill("inv-1", "HD001", 150000, Bill::Status::Paid)}, kNow + 2500});
    EXPECT_EQ(f.screen(), Screen::LoadingBills);
    EXPECT_TRUE(no_effect(f.handle(ev::PaymentCheckDue{r, kNow + 5000})));
    // The HIS lists only what is still payable: the paid bill is not offered again.
    f.handle(ev::BillsLoaded{load.request, true, {bill("inv-2", "HD002", 50000)}, 0});
    EXPECT_EQ(f.screen(), Screen::Bills);
    ASSERT_EQ(f.payment().bills.size(), 1u);
    EXPECT_FALSE(f.payment().can_pay_all());
    EXPECT_TRUE(no_effect(f.handle(ev::PayBills{std::nullopt, kNow}))) << "one bill: no 'pay all'";
    EXPECT_TRUE(no_effect(f.handle(ev::PayBills{3, kNow}))) << "no such bill";
    EXPECT_EQ(f.screen(), Screen::Bills);
}

TEST(FlowPayment, TheNextPatientsScanForgetsTheBillsAndTheCode) {
    Flow f = bills_on_screen();
    f.handle(ev::PayBills{0, kNow});
    const std::uint64_t r = f.payment().request;
    const Effects e = f.handle(ev::Scanned{kAnQr, kYear});
    EXPECT_TRUE(std::holds_alternative<fx::ForgetPatient>(e.front()));
    EXPECT_TRUE(f.payment().bills.empty());
    EXPECT_TRUE(f.payment().code.empty());
    EXPECT_TRUE(no_effect(f.handle(ev::PaymentCheckDue{r, kNow + 2000})));
}

TEST(FlowPayment, BackFromTheBillsGoesToTheGreeting) {
    Flow f = bills_on_screen();
    EXPECT_TRUE(no_effect(f.handle(ev::Back{})));
    EXPECT_EQ(f.screen(), Screen::Greeting);
    EXPECT_TRUE(f.payment().bills.empty());
}

TEST(FlowPayment, EachCodeShownHasItsOwnLedgerKey) {
    Flow f = bills_on_screen();
    f.handle(ev::PayBills{0, kNow});
    const std::string first = f.payment().payment_key;
    const auto load = work_of<fx::LoadBills>(f.handle(ev::Back{}));
    f.handle(ev::BillsLoaded{load.request, true, {bill("inv-1", "HD001", 150000)}, 0});
    f.handle(ev::PayBills{0, kNow}); // the same bill again, in the same millisecond
    EXPECT_NE(f.payment().payment_key, first);
}

TEST(FlowPayment, TheLastTimerFallsOnTheCodesEndNotOnTheNextPoll) {
    Flow f = bills_on_screen();
    f.handle(ev::PayBills{0, kNow});
    const std::uint64_t r = f.payment().request;
    const Effects e = f.handle(ev::PaymentCheckDue{r, kNow + 10 * 60 * 1000 - 3000});
    ASSERT_EQ(e.size(), 2u);
    EXPECT_EQ(std::get<fx::CheckPaymentIn>(e[1]).delay, milliseconds(3000))
        << "3 s left, though polls are 15 s";
}

TEST(FlowPayment, AScannedBillShowsItsReceiptFromTheLedgerOnAnyScreenThatTakesScans) {
    for (const bool from_bills : {false, true}) {
        Flow f = from_bills ? bills_on_screen() : Flow(Language::Vi, settings());
        const Effects e = f.handle(ev::Scanned{"HD-2026-0001", kYear});
        const auto find = work_of<fx::FindReceipt>(e);
        EXPECT_EQ(find.bill_number, "HD-2026-0001");
        EXPECT_EQ(f.screen(), Screen::FindingReceipt);
        EXPECT_FALSE(f.session().patient) << "whoever was here is forgotten";
        kiosk::core::PaymentRequest paid;
        paid.bill_ids = {"inv-1"};
        paid.bill_numbers = {"HD-2026-0001"};
        paid.amount_vnd = 150000;
        f.handle(ev::ReceiptFound{find.request, paid, kNow});
        EXPECT_EQ(f.screen(), Screen::PaymentReceived);
        ASSERT_TRUE(f.payment().paying);
        EXPECT_EQ(f.payment().paying->amount_vnd, 150000);
        EXPECT_EQ(f.payment().paid_at, kNow);
        f.handle(ev::Done{});
        EXPECT_EQ(f.screen(), Screen::Welcome);
    }
}

TEST(FlowPayment, ABillWithoutARecordedPaymentSaysSoWithItsNumber) {
    Flow f(Language::Vi, settings());
    const auto find = work_of<fx::FindReceipt>(f.handle(ev::Scanned{"HD-2026-0009", kYear}));
    f.handle(ev::ReceiptFound{find.request, std::nullopt, 0});
    EXPECT_EQ(f.screen(), Screen::NoReceipt);
    EXPECT_EQ(f.payment().receipt_for, "HD-2026-0009");
}

TEST(FlowPayment, CardsStayIdentificationsAndWithoutPaymentABillScanIsRefused) {
    // A CCCD QR, a CCCD number and a BHYT code are patients, whatever screen takes them.
    Flow f = bills_on_screen();
    EXPECT_TRUE(std::holds_alternative<fx::LookupPatient>(f.handle(ev::Scanned{kAnQr, kYear}).back()));
    Flow g(Language::Vi, settings());
    work_of<fx::LookupPatient>(g.handle(ev::Scanned{"079090001234", kYear}));
    Flow h(Language::Vi, settings());
    work_of<fx::LookupPatient>(h.handle(ev::Scanned{"DN4797915000001", kYear}));
    // A mistyped number of digits alone is an ID problem, not a bill.
    Flow i(Language::Vi, settings());
    EXPECT_TRUE(no_effect(i.handle(ev::Scanned{"999090001234", kYear})));
    EXPECT_EQ(i.screen(), Screen::IdRejected);
    // A kiosk that takes no payments refuses a bill scan as it refuses anything that is not a card.
    Flow none(Language::Vi);
    EXPECT_TRUE(no_effect(none.handle(ev::Scanned{"HD-2026-0001", kYear})));
    EXPECT_EQ(none.screen(), Screen::IdRejected);
}

TEST(FlowPayment, WithTheHisAwayTheLastListedBillsAreShownAndNotPayable) {
    Flow f = greeted();
    const auto load = work_of<fx::LoadBills>(f.handle(ev::TapFeature{Feature::Pay}));
    f.handle(ev::BillsLoaded{load.request, false, {bill("inv-1", "HD001", 150000)}, 0, kNow - 600'000});
    EXPECT_EQ(f.screen(), Screen::BillsUnavailable);
    ASSERT_EQ(f.payment().bills.size(), 1u);
    EXPECT_EQ(f.payment().cached_at, kNow - 600'000);
    EXPECT_TRUE(no_effect(f.handle(ev::PayBills{0, kNow}))) << "no code for a bill the HIS could not confirm";
    EXPECT_EQ(f.screen(), Screen::BillsUnavailable);
    // Asking again, and the HIS answers: the bills are payable.
    const auto again = work_of<fx::LoadBills>(f.handle(ev::Retry{}));
    f.handle(ev::BillsLoaded{again.request, true, {bill("inv-1", "HD001", 150000)}, 0});
    EXPECT_EQ(f.screen(), Screen::Bills);
    EXPECT_EQ(f.payment().cached_at, 0);
}
