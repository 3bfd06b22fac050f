// The app over its state, without SDL: the real flow, the EffectRunner with fakes, executors run by hand
// and manual clocks, so the idle timeout is proven without waiting for it.
#include "kiosk/app/kiosk_app.hpp"

#include "app_fakes.hpp"
#include "kiosk/sync/sync_engine.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace {

using namespace kiosk;
using namespace kiosk::app;
using namespace kiosk::app::testing;
using std::chrono::seconds;

constexpr core::UnixMillis kNow = 1796353200000; // 2026-12-04 03:00 UTC
constexpr core::UnixMillis kSecond = 1000;
const std::string kBinhQr = "001185004321|Trần Thị Bình|02031985|Nữ|5 Hàng Bài, Hà Nội|10102022|";

struct Rig {
    FakeTickets tickets;
    FakeFinder finder;
    FakeRegistrar registrar;
    FakeKicker kicker;
    FakeBills bills;
    FakeLedger ledger;
    ManualExecutor store, lookup, main;
    core::ManualClock wall{kNow};
    core::ManualClock monotonic{5'000};
    int patient_gone = 0;
    KioskApp app;

    explicit Rig(std::optional<ui::PaymentSettings> payment = std::nullopt)
        : app(setup(std::move(payment)), ui::Catalogs{}, KioskApp::Clocks{wall, monotonic},
              EffectRunner::Ports{tickets, finder, registrar, &kicker, &bills, &ledger},
              EffectRunner::Executors{store, lookup, main}, {service()}) {
        app.set_shell(ShellHooks{[](int) {}, [this] { ++patient_gone; }});
    }
    static core::Service service() {
        return core::Service{"KBH", "A", "Khám bảo hiểm", "Insured consultation"};
    }
    static KioskApp::Setup setup(std::optional<ui::PaymentSettings> payment) {
        KioskApp::Setup s;
        s.payment = std::move(payment);
        s.site.services = {service()};
        s.utc_offset_minutes = 7 * 60;
        s.idle_limit = seconds(60);
        s.his_configured = true;
        return s;
    }
    // Both clocks move: the idle timer reads the monotonic one.
    void pass(core::UnixMillis ms) {
        wall.advance(ms);
        monotonic.advance(ms);
    }
    [[nodiscard]] ui::Screen screen() const { return app.flow().screen(); }
    // A tap on "queue ticket", as the screen reports it after the frame.
    void tap_queue_ticket() {
        app.on_input();
        app.dispatch(ui::ev::TapFeature{ui::Feature::QueueTicket});
    }
};

// --- the payment timer ---------------------------------------------------------------------------------

ui::PaymentSettings payment_settings() {
    ui::PaymentSettings p;
    p.account = core::PaymentAccount{"970436", "0071000123456", core::vietqr::Service::ToAccount,
                                     "BENH VIEN DA KHOA TEST", "Vietcombank"};
    p.code_valid = std::chrono::minutes(10);
    p.poll_first = std::chrono::seconds(2);
    p.poll_longest = std::chrono::seconds(15);
    return p;
}

core::Bill payable(core::Bill::Status status = core::Bill::Status::Payable) {
    core::Bill b;
    b.his_id = "inv-1";
    b.number = "HD001";
    b.amount_vnd = 150000;
    b.status = status;
    return b;
}

// Bình greeted, her one bill's code on screen.
void code_on_screen(Rig& r) {
    r.finder.answer = found("Trần T** B**", "his-binh");
    std::string scan = kBinhQr;
    r.app.on_scan(scan);
    r.lookup.run_all();
    r.main.run_all();
    ASSERT_EQ(r.screen(), ui::Screen::Greeting);
    r.bills.answer = {true, {payable()}, 0};
    r.app.dispatch(ui::ev::TapFeature{ui::Feature::Pay});
    r.lookup.run_all();
    r.main.run_all();
    ASSERT_EQ(r.screen(), ui::Screen::Bills);
    EXPECT_EQ(r.bills.asked_patients, std::vector<std::string>{"his-binh"});
    r.app.dispatch(ui::ev::PayBills{0, r.wall.now()});
    ASSERT_EQ(r.screen(), ui::Screen::PayByQr);
}

TEST(KioskAppPayment, TheTimerAsksTheHisUntilItSaysPaidAndTheIdleTimerWaits) {
    Rig r(payment_settings());
    code_on_screen(r);
    EXPECT_LE(r.app.wake_in_ms(), 1005) << "the countdown shows seconds";
    r.pass(1999);
    r.app.tick(false);
    EXPECT_EQ(r.lookup.pending(), 0u) << "not yet: the first question comes 2 s after the code";
    r.pass(1);
    r.app.tick(false);
    ASSERT_EQ(r.lookup.run_all(), 1u);
    EXPECT_EQ(r.bills.asked_ids.back(), std::vector<std::string>{"inv-1"});
    r.main.run_all();
    EXPECT_EQ(r.screen(), ui::Screen::PayByQr) << "still payable";
    // Two minutes without a touch: the patient is at their phone, the idle timer does not end it.
    r.bills.answer = {true, {payable(core::Bill::Status::Paid)}, 0};
    for (int i = 0; i < 120 && r.screen() == ui::Screen::PayByQr; ++i) {
        r.pass(kSecond);
        r.app.tick(false);
        r.lookup.run_all();
        r.main.run_all();
    }
    EXPECT_EQ(r.screen(), ui::Screen::PaymentReceived);
    EXPECT_GE(r.bills.asked_ids.size(), 2u);
    // The ledger has the code and its end.
    r.store.run_all();
    ASSERT_EQ(r.ledger.recorded.size(), 1u);
    ASSERT_EQ(r.ledger.settled.size(), 1u);
    EXPECT_EQ(r.ledger.settled[0].key, r.ledger.recorded[0].key);
    EXPECT_TRUE(r.ledger.settled[0].paid);
}

TEST(KioskAppPayment, AHisThatNeverAnswersCannotHoldTheCodeOnScreenPastItsTime) {
    Rig r(payment_settings());
    code_on_screen(r);
    // The lookup worker never runs: no answer ever comes back.
    int seconds_on_screen = 0;
    while (r.screen() == ui::Screen::PayByQr && seconds_on_screen < 3600) {
        r.pass(kSecond);
        r.app.tick(false);
        ++seconds_on_screen;
    }
    EXPECT_EQ(r.screen(), ui::Screen::PaymentExpired);
    EXPECT_EQ(seconds_on_screen, 10 * 60) << "the code's 10 minutes, to the second";
    // Then the ordinary idle timer ends the session.
    r.app.on_input();
    r.pass(60 * kSecond);
    r.app.tick(false);
    EXPECT_EQ(r.screen(), ui::Screen::Welcome);
}

TEST(KioskAppIdle, AfterTheIdleLimitWithoutInputTheSessionEndsOnWelcome) {
    Rig r;
    r.tap_queue_ticket();
    ASSERT_EQ(r.screen(), ui::Screen::ChooseService);
    r.pass(60 * kSecond - 1);
    r.app.tick(false);
    EXPECT_EQ(r.screen(), ui::Screen::ChooseService) << "one millisecond before the limit";
    EXPECT_EQ(r.patient_gone, 0);
    r.pass(1);
    r.app.tick(false);
    EXPECT_EQ(r.screen(), ui::Screen::Welcome);
    EXPECT_FALSE(r.app.flow().in_session());
    EXPECT_GE(r.patient_gone, 1) << "the shell drops a half-received scan too";
}

TEST(KioskAppIdle, InputResetsTheIdleTimer) {
    Rig r;
    r.tap_queue_ticket();
    r.pass(50 * kSecond);
    r.app.on_input(); // a touch 50 s in
    r.pass(50 * kSecond);
    r.app.tick(false);
    EXPECT_EQ(r.screen(), ui::Screen::ChooseService) << "100 s in, but only 50 s since the last touch";
    r.pass(10 * kSecond);
    r.app.tick(false);
    EXPECT_EQ(r.screen(), ui::Screen::Welcome);
}

TEST(KioskAppIdle, AFingerRestingOnTheScreenKeepsTheSession) {
    Rig r;
    r.tap_queue_ticket();
    r.pass(120 * kSecond);
    r.app.tick(true);
    EXPECT_EQ(r.screen(), ui::Screen::ChooseService);
    r.app.tick(false);
    EXPECT_EQ(r.screen(), ui::Screen::Welcome);
}

TEST(KioskAppIdle, TheIdleTimerFollowsTheMonotonicClockNotTheWallClock) {
    Rig r;
    r.tap_queue_ticket();
    r.wall.advance(3600 * kSecond); // NTP sets the wall clock forward an hour
    r.app.tick(false);
    EXPECT_EQ(r.screen(), ui::Screen::ChooseService);
}

TEST(KioskAppIdle, TheLoopWakesWhenTheIdleLimitIsDue) {
    Rig r;
    EXPECT_GT(r.app.wake_in_ms(), 0);
    EXPECT_LE(r.app.wake_in_ms(), 60'000);
    r.tap_queue_ticket();
    r.pass(45 * kSecond);
    EXPECT_LE(r.app.wake_in_ms(), 15 * kSecond + 5);
    r.pass(15 * kSecond);
    EXPECT_GE(r.app.wake_in_ms(), 1) << "never a busy loop";
}

TEST(KioskAppIdle, ALookupResultArrivingAfterAnIdleResetIsIgnored) {
    Rig r;
    r.finder.answer = found("Trần T** B**", "his-7");
    std::string scan = kBinhQr;
    r.app.on_input();
    r.app.on_scan(scan);
    EXPECT_TRUE(scan.empty() || scan.find_first_not_of('\0') == std::string::npos) << "the scan is wiped";
    ASSERT_EQ(r.screen(), ui::Screen::LookingUp);
    ASSERT_EQ(r.lookup.pending(), 1u);

    r.pass(61 * kSecond); // the HIS is slow; the patient walked away
    r.app.tick(false);
    ASSERT_EQ(r.screen(), ui::Screen::Welcome);

    ASSERT_EQ(r.lookup.run_all(), 1u); // the answer comes at last
    ASSERT_EQ(r.finder.asked.size(), 1u);
    ASSERT_EQ(r.main.run_all(), 1u);
    EXPECT_EQ(r.screen(), ui::Screen::Welcome) << "the next person must not be greeted as Bình";
    EXPECT_FALSE(r.app.flow().session().patient.has_value());
}

TEST(KioskAppIdle, ALookupResultInTimeGreetsThePatient) {
    Rig r;
    r.finder.answer = found("Trần T** B**", "his-7");
    std::string scan = kBinhQr;
    r.app.on_input();
    r.app.on_scan(scan);
    r.pass(2 * kSecond);
    r.app.tick(false);
    r.lookup.run_all();
    r.main.run_all();
    EXPECT_EQ(r.screen(), ui::Screen::Greeting);
    ASSERT_TRUE(r.app.flow().session().patient.has_value());
    EXPECT_EQ(r.app.flow().session().patient->his_id, "his-7");
}

TEST(KioskAppSync, ASyncStatusCountsTheNewestTicketOnlyOnceItHadSeenItsKick) {
    Rig r;
    r.tap_queue_ticket();
    r.app.dispatch(ui::ev::ChooseService{"KBH"});
    ASSERT_EQ(r.screen(), ui::Screen::IssuingTicket);
    r.store.run_all();
    r.main.run_all();
    ASSERT_EQ(r.screen(), ui::Screen::TicketIssued);
    ASSERT_EQ(r.kicker.kicks, 1u);

    sync::SyncStatus st;
    st.online = true;
    st.waiting = 0;
    r.app.on_sync_status(st, 0); // taken before the kick: its "0 waiting" predates the ticket
    EXPECT_TRUE(r.app.connectivity().known);
    EXPECT_FALSE(r.app.sync_caught_up());
    r.app.on_sync_status(st, 1);
    EXPECT_TRUE(r.app.sync_caught_up());
    EXPECT_EQ(r.app.connectivity().link, ui::Connectivity::Link::Unknown);
}

} // namespace

namespace {

TEST(KioskAppSync, ASyncThatCannotWorkShowsAsAServerFaultWithWhatWaits) {
    Rig r;
    kiosk::sync::SyncStatus st;
    st.online = true;
    st.waiting = 3;
    st.link = kiosk::sync::HisLink::SyncFailing; // e.g. its database is locked: records cannot go now
    r.app.on_sync_status(st, 0);
    EXPECT_EQ(r.app.connectivity().link, kiosk::ui::Connectivity::Link::ServerError);
    EXPECT_EQ(r.app.connectivity().waiting, 3);
    const auto sync = r.app.sync();
    EXPECT_TRUE(sync.known);
    EXPECT_EQ(sync.waiting, 3);
}

} // namespace
