// The flow as journeys under a session: effects as a list (several from one event), each journey's state
// reset when the session ends and untouched by the others, the idle policy per screen, every screen found
// in its journey's table, and the scanned text wiped as the event is handed on.
#include "kiosk/ui/flow.hpp"

#include "ui/flow_helpers.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <string_view>

using namespace kiosk::ui;
using namespace kiosk::ui::testing;
using kiosk::core::PatientDetails;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

constexpr int kYear = 2026;
const std::string kAnQr =
    "079090001234|025123456|Nguyễn Văn An|15011990|Nam|12 Lê Lợi, Quận 1, TP Hồ Chí Minh|01072021";

LookupOutcome nobody() {
    LookupOutcome o;
    o.kind = LookupOutcome::Kind::NotFound;
    return o;
}

// A walk-in ticket on screen.
Flow ticket_on_screen() {
    Flow f(Language::Vi);
    f.handle(ev::TapFeature{Feature::QueueTicket});
    const auto issue = work_of<fx::IssueTicket>(f.handle(ev::ChooseService{"KBH"}));
    kiosk::core::Ticket t;
    t.reference = "S-20261130-KBH-A001";
    t.display_number = "A-001";
    f.handle(ev::TicketStored{issue.request, t});
    EXPECT_EQ(f.screen(), Screen::TicketIssued);
    return f;
}

// The registration form with an editor open and something typed.
Flow editing_the_form() {
    Flow f(Language::Vi);
    const auto l = work_of<fx::LookupPatient>(f.handle(ev::Scanned{kAnQr, kYear}));
    f.handle(ev::LookupDone{l.request, nobody()});
    f.handle(ev::StartRegistration{});
    f.handle(ev::EditField{Field::Address});
    f.handle(ev::Clear{});
    for (const char c : std::string_view("so 5"))
        f.handle(ev::Key{c});
    EXPECT_EQ(f.screen(), Screen::EditField);
    return f;
}

const Screen kAllScreens[] = {
    Screen::Welcome,          Screen::ChooseService,  Screen::IssuingTicket,   Screen::TicketIssued,
    Screen::TicketFailed,     Screen::Identify,       Screen::EnterNumber,     Screen::LookingUp,
    Screen::Greeting,         Screen::NotFound,       Screen::SeeStaff,        Screen::HisUnavailable,
    Screen::IdRejected,       Screen::Register,       Screen::EditField,       Screen::Registering,
    Screen::RegisterFailed,   Screen::LoadingBills,   Screen::Bills,           Screen::NoBills,
    Screen::BillsUnavailable, Screen::PayByQr,        Screen::PaymentReceived, Screen::PaymentExpired,
    Screen::PaymentStopped,   Screen::FindingReceipt, Screen::NoReceipt};

} // namespace

// --- effects as a list -------------------------------------------------------------------------------------

TEST(FlowEffects, AScanOverThePreviousPatientsTicketForgetsThemThenLooksUp) {
    Flow f = ticket_on_screen();
    const Effects e = f.handle(ev::Scanned{kAnQr, kYear});
    ASSERT_EQ(e.size(), 2u);
    EXPECT_TRUE(std::holds_alternative<fx::ForgetPatient>(e[0])) << "the previous patient is forgotten first";
    ASSERT_TRUE(std::holds_alternative<fx::LookupPatient>(e[1]));
    EXPECT_EQ(std::get<fx::LookupPatient>(e[1]).value, "079090001234");
    EXPECT_EQ(f.screen(), Screen::LookingUp);
    EXPECT_FALSE(f.queue().ticket);
}

TEST(FlowEffects, AScanWithNobodyBeforeIsOnlyALookup) {
    Flow f(Language::Vi);
    EXPECT_TRUE(holds_only<fx::LookupPatient>(f.handle(ev::Scanned{kAnQr, kYear})));
}

TEST(FlowEffects, EndingASessionTellsTheAppToForgetThePatient) {
    Flow done = ticket_on_screen();
    EXPECT_TRUE(holds_only<fx::ForgetPatient>(done.handle(ev::Done{})));
    EXPECT_EQ(done.screen(), Screen::Welcome);
    Flow idle = editing_the_form();
    EXPECT_TRUE(holds_only<fx::ForgetPatient>(idle.handle(ev::IdleTimeout{})));
    // Nobody there: nothing to forget.
    EXPECT_TRUE(no_effect(idle.handle(ev::IdleTimeout{})));
    Flow fresh(Language::Vi);
    EXPECT_TRUE(no_effect(fresh.handle(ev::Done{})));
}

TEST(FlowEffects, StartingOverWithTheSamePatientTellsTheAppNothing) {
    Flow f = editing_the_form();
    f.handle(ev::Back{}); // the editor
    ASSERT_EQ(f.screen(), Screen::Register);
    EXPECT_TRUE(no_effect(f.handle(ev::Back{}))) << "the patient is still there, on Identify";
    EXPECT_EQ(f.screen(), Screen::Identify);
    EXPECT_EQ(f.registration().draft, PatientDetails{});
}

TEST(FlowEffects, EventsThatStartNoWorkReturnNone) {
    Flow f(Language::Vi);
    EXPECT_TRUE(no_effect(f.handle(ev::TapFeature{Feature::QueueTicket})));
    EXPECT_TRUE(no_effect(f.handle(ev::SetLanguage{Language::En})));
    EXPECT_TRUE(no_effect(f.handle(ev::Back{})));
    EXPECT_TRUE(no_effect(f.handle(ev::TapFeature{Feature::Pay})));
}

// --- journeys under a session ------------------------------------------------------------------------------

TEST(FlowJourneys, EveryJourneysStateIsResetWhenTheSessionEnds) {
    // Give every journey state, then end the session: each is back to its start, the session too.
    Flow f = editing_the_form();
    f.handle(ev::SetLanguage{Language::En});
    f.handle(ev::SetAccessMode{AccessMode::LargeText});
    ASSERT_TRUE(f.registration().editor);
    ASSERT_NE(f.session().identity, PatientDetails{});
    f.handle(ev::IdleTimeout{});
    EXPECT_EQ(f.registration().draft, PatientDetails{});
    EXPECT_FALSE(f.registration().editor);
    EXPECT_EQ(f.registration().request, 0u);
    EXPECT_EQ(f.identify().request, 0u);
    EXPECT_EQ(f.identify().number_kind, IdKind::Cccd);
    EXPECT_EQ(f.session().identity, PatientDetails{});
    EXPECT_FALSE(f.session().patient);
    EXPECT_EQ(f.session().language, Language::Vi);
    EXPECT_EQ(f.session().mode, AccessMode::Standard) << "the accessibility mode is the patient's, reset too";
    EXPECT_FALSE(f.in_session());

    Flow t = ticket_on_screen();
    ASSERT_NE(t.queue().request, 0u);
    t.handle(ev::Done{});
    EXPECT_FALSE(t.queue().ticket);
    EXPECT_TRUE(t.queue().service_code.empty());
    EXPECT_EQ(t.queue().request, 0u);
}

TEST(FlowJourneys, AJourneysEventsLeaveTheOthersStateAlone) {
    // Typing on the registration keyboard is the register journey's: the keypad of identification and the
    // queue journey see nothing of it.
    Flow f = editing_the_form();
    EXPECT_TRUE(f.identify().number_digits.empty());
    EXPECT_TRUE(f.queue().service_code.empty());
    ASSERT_TRUE(f.registration().editor);
    EXPECT_EQ(f.registration().editor->text.text(), "So 5");
    // And the keypad's digits are identification's only.
    Flow g(Language::Vi);
    g.handle(ev::TapFeature{Feature::Identify});
    g.handle(ev::ChooseIdKind{IdKind::Cccd});
    for (const char c : std::string_view("0790"))
        g.handle(ev::Key{c});
    EXPECT_EQ(g.identify().number_digits, "0790");
    EXPECT_FALSE(g.registration().editor);
    EXPECT_EQ(g.registration().draft, PatientDetails{});
}

TEST(FlowJourneys, TheAccessModeIsKeptForTheSession) {
    Flow f(Language::Vi);
    f.handle(ev::SetAccessMode{AccessMode::Assisted});
    EXPECT_EQ(f.session().mode, AccessMode::Assisted);
    EXPECT_TRUE(f.in_session()) << "a mode chosen is a patient at the kiosk";
    f.handle(ev::TapFeature{Feature::Identify});
    f.handle(ev::Back{});
    EXPECT_EQ(f.session().mode, AccessMode::Assisted) << "kept across screens";
    f.handle(ev::IdleTimeout{});
    EXPECT_EQ(f.session().mode, AccessMode::Standard);
}

TEST(FlowJourneys, EveryScreenIsInExactlyOneJourneysTableWithItsOwnName) {
    std::set<std::string> names;
    for (const Screen s : kAllScreens) {
        const ScreenSpec& spec = screen_spec(s);
        EXPECT_EQ(spec.screen, s) << screen_name(s);
        EXPECT_TRUE(names.insert(spec.name).second) << spec.name << " named twice";
    }
    // Only the screens that wait for work are busy; Done ends the session only where the screen offers it.
    std::set<Screen> busy, done;
    for (const Screen s : kAllScreens) {
        if (screen_spec(s).busy) busy.insert(s);
        if (screen_spec(s).done_ends_session) done.insert(s);
    }
    EXPECT_EQ(busy, (std::set<Screen>{Screen::IssuingTicket, Screen::LookingUp, Screen::Registering,
                                      Screen::LoadingBills, Screen::FindingReceipt}));
    EXPECT_EQ(done,
              (std::set<Screen>{Screen::TicketIssued, Screen::TicketFailed, Screen::Greeting,
                                Screen::SeeStaff, Screen::IdRejected, Screen::RegisterFailed, Screen::Bills,
                                Screen::NoBills, Screen::BillsUnavailable, Screen::PaymentReceived,
                                Screen::PaymentExpired, Screen::PaymentStopped, Screen::NoReceipt}));
}

// --- the idle policy ---------------------------------------------------------------------------------------

TEST(FlowIdlePolicy, NoTimerWithoutASessionTheConfiguredTimeOnScreensTwiceOnTheForm) {
    const seconds configured(45);
    Flow f(Language::Vi);
    EXPECT_EQ(f.idle_limit(configured), std::nullopt) << "nobody at the kiosk: nothing to end";
    f.handle(ev::SetLanguage{Language::En});
    EXPECT_EQ(f.idle_limit(configured), milliseconds(45'000)) << "a language chosen on Welcome";
    f.handle(ev::SetLanguage{Language::Vi});
    EXPECT_EQ(f.idle_limit(configured), std::nullopt);

    Flow form = editing_the_form();
    EXPECT_EQ(form.idle_limit(configured), milliseconds(90'000)) << "typing on the keyboard takes longer";
    form.handle(ev::FieldOk{});
    ASSERT_EQ(form.screen(), Screen::Register);
    EXPECT_EQ(form.idle_limit(configured), milliseconds(90'000));
    form.handle(ev::Back{});
    ASSERT_EQ(form.screen(), Screen::Identify);
    EXPECT_EQ(form.idle_limit(configured), milliseconds(45'000));
    EXPECT_EQ(form.idle_limit(seconds(10)), milliseconds(10'000)) << "follows the configuration";

    Flow t = ticket_on_screen();
    EXPECT_EQ(t.idle_limit(configured), milliseconds(45'000));
    t.handle(ev::IdleTimeout{});
    EXPECT_EQ(t.idle_limit(configured), std::nullopt);
}

TEST(FlowIdlePolicy, EveryScreenButThePaymentCodeHasALimitDuringASession) {
    // The payment code is looked at from a phone: its own countdown ends it (FlowPayment tests).
    EXPECT_EQ(idle_limit(screen_spec(Screen::PayByQr), true, seconds(60)), std::nullopt);
    for (const Screen s : kAllScreens) {
        if (s == Screen::PayByQr) continue;
        SCOPED_TRACE(screen_name(s));
        const auto limit = idle_limit(screen_spec(s), true, seconds(60));
        ASSERT_TRUE(limit);
        EXPECT_GE(*limit, milliseconds(60'000));
        EXPECT_LE(*limit, milliseconds(120'000));
        EXPECT_EQ(idle_limit(screen_spec(s), false, seconds(60)), std::nullopt);
    }
}

// --- the scanned text --------------------------------------------------------------------------------------

TEST(ScannedEvent, MovingTheEventOnWipesTheTextItLeavesBehind) {
    // A 12-digit number fits std::string's inline buffer: a plain move would copy it and leave the digits
    // in the moved-from event's buffer.
    ev::Scanned a{"079090001234", kYear};
    const char* inline_buffer = a.text.data();
    ev::Scanned b(std::move(a));
    EXPECT_EQ(b.text, "079090001234");
    EXPECT_TRUE(a.text.empty()); // NOLINT(bugprone-use-after-move): checking what the move left
    ASSERT_EQ(a.text.data(), inline_buffer) << "the test expects the inline buffer to stay in place";
    EXPECT_EQ(std::string_view(inline_buffer, 12), std::string_view("\0\0\0\0\0\0\0\0\0\0\0\0", 12));

    ev::Scanned c{"001185004321", kYear};
    const char* b_buffer = b.text.data();
    c = std::move(b);
    EXPECT_EQ(c.text, "079090001234");
    EXPECT_TRUE(b.text.empty()); // NOLINT(bugprone-use-after-move)
    ASSERT_EQ(b.text.data(), b_buffer);
    EXPECT_EQ(std::string_view(b_buffer, 12), std::string_view("\0\0\0\0\0\0\0\0\0\0\0\0", 12));

    // Into the flow's event variant and out of it: the QR reaches the flow whole.
    Event e{ev::Scanned{kAnQr, kYear}};
    Flow f(Language::Vi);
    EXPECT_EQ(work_of<fx::LookupPatient>(f.handle(e)).value, "079090001234");
}
