// The identification and registration part of the patient flow: scanning a CCCD QR on any screen, typing a
// CCCD/BHYT number on the keypad, lookup results, the registration form with its Telex and keypad editors,
// submit validation, and the wiping of personal data when the session ends.
#include "kiosk/ui/flow.hpp"

#include "ui/flow_helpers.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace kiosk::ui;
using namespace kiosk::ui::testing;
using kiosk::core::IdProblem;
using kiosk::core::LocalDate;
using kiosk::core::PatientDetails;
using kiosk::core::Sex;

namespace {

constexpr int kYear = 2026;

// Patient An: CCCD 079 (Hồ Chí Minh), G=0 (1900s, male), born 1990.
constexpr char kAnCccd[] = "079090001234";
const std::string kAnQr =
    "079090001234|025123456|Nguyễn Văn An|15011990|Nam|12 Lê Lợi, Quận 1, TP Hồ Chí Minh|"
    "01072021";
// Patient Bình: CCCD 001 (Hà Nội), G=1 (1900s, female), born 1985; the QR of a card without the old id.
constexpr char kBinhCccd[] = "001185004321";
const std::string kBinhQr = "001185004321|Trần Thị Bình|02031985|Nữ|5 Hàng Bài, Hà Nội|10102022|";
constexpr char kBhytCode[] = "DN4790123456789";

KnownPatient known(std::string masked, std::string his_id) {
    KnownPatient p;
    p.masked_name = std::move(masked);
    p.his_id = std::move(his_id);
    return p;
}

LookupOutcome found(KnownPatient p, bool offline = false) {
    LookupOutcome o;
    o.kind = LookupOutcome::Kind::Found;
    o.patient = std::move(p);
    o.his_offline = offline;
    return o;
}
LookupOutcome not_found(bool offline = false) {
    LookupOutcome o;
    o.kind = LookupOutcome::Kind::NotFound;
    o.his_offline = offline;
    return o;
}
LookupOutcome several() {
    LookupOutcome o;
    o.kind = LookupOutcome::Kind::Several;
    return o;
}
LookupOutcome his_unavailable() {
    LookupOutcome o;
    o.kind = LookupOutcome::Kind::HisUnavailable;
    o.his_offline = true;
    return o;
}

// Every key of `keys` as one ev::Key.
void type(Flow& f, std::string_view keys) {
    for (const char c : keys)
        EXPECT_TRUE(no_effect(f.handle(ev::Key{c})));
}

fx::LookupPatient lookup_of(const Effects& e) {
    return work_of<fx::LookupPatient>(e);
}

fx::RegisterPatient register_of(const Effects& e) {
    return work_of<fx::RegisterPatient>(e);
}

Flow on_keypad(IdKind kind) {
    Flow f(Language::Vi);
    f.handle(ev::TapFeature{Feature::Identify});
    f.handle(ev::ChooseIdKind{kind});
    EXPECT_EQ(f.screen(), Screen::EnterNumber);
    return f;
}

// Scans `qr` on Welcome and answers the lookup with NotFound.
Flow not_found_after_scan(const std::string& qr) {
    Flow f(Language::Vi);
    const auto l = lookup_of(f.handle(ev::Scanned{qr, kYear}));
    f.handle(ev::LookupDone{l.request, not_found()});
    EXPECT_EQ(f.screen(), Screen::NotFound);
    return f;
}

// The registration form prefilled from patient An's QR.
Flow register_from_qr() {
    Flow f = not_found_after_scan(kAnQr);
    f.handle(ev::StartRegistration{});
    EXPECT_EQ(f.screen(), Screen::Register);
    return f;
}

// The registration form after typing a 10-digit BHYT number nobody carries: only the BHYT is filled in.
Flow register_from_bhyt_number() {
    Flow f = on_keypad(IdKind::Bhyt);
    type(f, "0123456789");
    const auto l = lookup_of(f.handle(ev::SubmitNumber{kYear}));
    f.handle(ev::LookupDone{l.request, not_found()});
    f.handle(ev::StartRegistration{});
    EXPECT_EQ(f.screen(), Screen::Register);
    return f;
}

// Opens `field`, empties it, types `keys` and confirms.
void set_field(Flow& f, Field field, std::string_view keys) {
    f.handle(ev::EditField{field});
    ASSERT_EQ(f.screen(), Screen::EditField);
    f.handle(ev::Clear{});
    type(f, keys);
    f.handle(ev::FieldOk{});
    ASSERT_EQ(f.screen(), Screen::Register) << "field " << field_name(field) << " refused \"" << keys << "\"";
}

// Nothing about any patient is left in the state.
void expect_no_patient_data(const Flow& f) {
    EXPECT_EQ(f.session().identity, PatientDetails{});
    EXPECT_EQ(f.registration().draft, PatientDetails{});
    EXPECT_FALSE(f.registration().editor.has_value());
    EXPECT_FALSE(f.session().patient.has_value());
    EXPECT_TRUE(f.identify().number_digits.empty());
    EXPECT_FALSE(f.identify().id_problem.has_value());
    EXPECT_FALSE(f.registration().draft_problem.has_value());
    EXPECT_FALSE(f.registration().draft_problem_field.has_value());
    EXPECT_FALSE(f.identify().his_offline);
}

} // namespace

// --- Names --------------------------------------------------------------------------------------------

TEST(FlowIdentify, ScreenNamesAreDistinctAndKnown) {
    const std::vector<Screen> all{
        Screen::Welcome,      Screen::ChooseService, Screen::IssuingTicket, Screen::TicketIssued,
        Screen::TicketFailed, Screen::Identify,      Screen::EnterNumber,   Screen::LookingUp,
        Screen::Greeting,     Screen::NotFound,      Screen::SeeStaff,      Screen::IdRejected,
        Screen::Register,     Screen::EditField,     Screen::Registering,   Screen::RegisterFailed};
    std::vector<std::string> names;
    for (const Screen s : all) {
        const std::string n = screen_name(s);
        EXPECT_NE(n, "?");
        for (const auto& other : names)
            EXPECT_NE(n, other);
        names.push_back(n);
    }
    EXPECT_STREQ(screen_name(Screen::Identify), "identify");
    EXPECT_STREQ(screen_name(Screen::EnterNumber), "enter_number");
    EXPECT_STREQ(screen_name(Screen::RegisterFailed), "register_failed");
}

TEST(FlowIdentify, FieldNamesAndKeyboards) {
    EXPECT_STREQ(field_name(Field::FullName), "full_name");
    EXPECT_STREQ(field_name(Field::BirthDate), "birth_date");
    EXPECT_STREQ(field_name(Field::Address), "address");
    EXPECT_STREQ(field_name(Field::Phone), "phone");
    EXPECT_STREQ(field_name(Field::Cccd), "cccd");
    EXPECT_STREQ(field_name(Field::Bhyt), "bhyt");
    EXPECT_FALSE(field_is_numeric(Field::FullName));
    EXPECT_FALSE(field_is_numeric(Field::Address));
    for (const Field f : {Field::BirthDate, Field::Phone, Field::Cccd, Field::Bhyt})
        EXPECT_TRUE(field_is_numeric(f)) << field_name(f);
    EXPECT_TRUE(Flow(Language::Vi).offers(Feature::Identify));
}

TEST(FlowIdentify, FieldValueFormatsTheBirthDate) {
    PatientDetails d;
    EXPECT_EQ(field_value(d, Field::BirthDate), "");
    d.birth_date = LocalDate{1990, 1, 5};
    d.full_name = "Nguyễn Văn An";
    d.address = "12 Lê Lợi";
    d.phone = "0912345678";
    d.cccd = kAnCccd;
    d.bhyt = kBhytCode;
    EXPECT_EQ(field_value(d, Field::BirthDate), "05/01/1990");
    EXPECT_EQ(field_value(d, Field::FullName), "Nguyễn Văn An");
    EXPECT_EQ(field_value(d, Field::Address), "12 Lê Lợi");
    EXPECT_EQ(field_value(d, Field::Phone), "0912345678");
    EXPECT_EQ(field_value(d, Field::Cccd), kAnCccd);
    EXPECT_EQ(field_value(d, Field::Bhyt), kBhytCode);
}

// --- Identify and the keypad ----------------------------------------------------------------------------

TEST(FlowIdentify, IdentifyFromWelcomeAndBackAgain) {
    Flow f(Language::Vi);
    f.handle(ev::TapFeature{Feature::Identify});
    EXPECT_EQ(f.screen(), Screen::Identify);
    EXPECT_TRUE(f.in_session());
    EXPECT_FALSE(f.busy());
    f.handle(ev::Back{});
    EXPECT_EQ(f.screen(), Screen::Welcome);
    EXPECT_FALSE(f.in_session());
}

TEST(FlowIdentify, ChooseIdKindOnlyOnIdentify) {
    Flow f(Language::Vi);
    f.handle(ev::ChooseIdKind{IdKind::Bhyt});
    EXPECT_EQ(f.screen(), Screen::Welcome);
    f.handle(ev::TapFeature{Feature::Identify});
    f.handle(ev::ChooseIdKind{IdKind::Bhyt});
    EXPECT_EQ(f.screen(), Screen::EnterNumber);
    EXPECT_EQ(f.identify().number_kind, IdKind::Bhyt);
    EXPECT_TRUE(f.identify().number_digits.empty());
}

TEST(FlowIdentify, ValidCccdNumberStartsALookup) {
    Flow f = on_keypad(IdKind::Cccd);
    type(f, kAnCccd);
    EXPECT_EQ(f.identify().number_digits, kAnCccd);
    const Effects e = f.handle(ev::SubmitNumber{kYear});
    const auto l = lookup_of(e);
    EXPECT_EQ(l.kind, IdKind::Cccd);
    EXPECT_EQ(l.value, kAnCccd);
    EXPECT_NE(l.request, 0u);
    EXPECT_EQ(l.request, f.identify().request);
    EXPECT_EQ(f.screen(), Screen::LookingUp);
    EXPECT_TRUE(f.busy());
    // The typed number is not kept around once it was used; what it says is.
    EXPECT_TRUE(f.identify().number_digits.empty());
    EXPECT_EQ(f.session().identity.cccd, kAnCccd);
    EXPECT_EQ(f.session().identity.sex, Sex::Male);
    EXPECT_FALSE(f.identify().id_problem);
}

TEST(FlowIdentify, ValidBhytNumbersStartALookup) {
    {
        Flow f = on_keypad(IdKind::Bhyt);
        type(f, "0123456789"); // the 10-digit social insurance number
        const auto l = lookup_of(f.handle(ev::SubmitNumber{kYear}));
        EXPECT_EQ(l.kind, IdKind::Bhyt);
        EXPECT_EQ(l.value, "0123456789");
        EXPECT_EQ(f.screen(), Screen::LookingUp);
        EXPECT_EQ(f.session().identity.bhyt, "0123456789");
        EXPECT_TRUE(f.session().identity.cccd.empty());
    }
    {
        Flow f = on_keypad(IdKind::Bhyt);
        type(f, kBinhCccd); // the personal id, which replaces the BHYT number since 2025
        const auto l = lookup_of(f.handle(ev::SubmitNumber{kYear}));
        EXPECT_EQ(l.kind, IdKind::Bhyt);
        EXPECT_EQ(l.value, kBinhCccd);
        EXPECT_EQ(f.session().identity.bhyt, kBinhCccd);
        EXPECT_EQ(f.session().identity.cccd, kBinhCccd);
    }
}

TEST(FlowIdentify, InvalidNumberStaysOnTheKeypadWithTheDigits) {
    struct Case {
        IdKind kind;
        const char* digits;
        IdProblem problem;
    };
    const std::vector<Case> cases{
        {IdKind::Cccd, "", IdProblem::Empty},
        {IdKind::Cccd, "07909000123", IdProblem::WrongLength},   // 11 digits
        {IdKind::Cccd, "0790900012345", IdProblem::WrongLength}, // 13 digits
        {IdKind::Cccd, "003090001234", IdProblem::UnknownProvince},
        {IdKind::Cccd, "079890001234", IdProblem::BadCenturySex},     // 2300s
        {IdKind::Cccd, "079230001234", IdProblem::BirthYearInFuture}, // 2030
        {IdKind::Bhyt, "12345", IdProblem::WrongLength},
        {IdKind::Bhyt, "003090001234", IdProblem::UnknownProvince}, // 12 digits: checked as a CCCD
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.digits);
        Flow f = on_keypad(c.kind);
        type(f, c.digits);
        const std::uint64_t before = f.identify().request;
        EXPECT_TRUE(no_effect(f.handle(ev::SubmitNumber{kYear})));
        EXPECT_EQ(f.screen(), Screen::EnterNumber);
        ASSERT_TRUE(f.identify().id_problem);
        EXPECT_EQ(*f.identify().id_problem, c.problem);
        EXPECT_EQ(f.identify().number_digits, c.digits);
        EXPECT_EQ(f.identify().request, before);
    }
}

TEST(FlowIdentify, TypingAgainClearsTheProblem) {
    Flow f = on_keypad(IdKind::Cccd);
    type(f, "07909000123");
    f.handle(ev::SubmitNumber{kYear});
    ASSERT_TRUE(f.identify().id_problem);
    type(f, "4");
    EXPECT_FALSE(f.identify().id_problem);
    EXPECT_EQ(f.identify().number_digits, kAnCccd);
    EXPECT_TRUE(holds_only<fx::LookupPatient>(f.handle(ev::SubmitNumber{kYear})));

    Flow g = on_keypad(IdKind::Cccd);
    g.handle(ev::SubmitNumber{kYear});
    ASSERT_TRUE(g.identify().id_problem);
    g.handle(ev::Erase{});
    EXPECT_FALSE(g.identify().id_problem);
    g.handle(ev::SubmitNumber{kYear});
    ASSERT_TRUE(g.identify().id_problem);
    g.handle(ev::Clear{});
    EXPECT_FALSE(g.identify().id_problem);
}

TEST(FlowIdentify, KeypadEraseClearAndLimits) {
    Flow f = on_keypad(IdKind::Cccd);
    type(f, "07a9-0 x9");
    EXPECT_EQ(f.identify().number_digits, "07909") << "only digits are taken";
    f.handle(ev::Erase{});
    EXPECT_EQ(f.identify().number_digits, "0790");
    f.handle(ev::Clear{});
    EXPECT_EQ(f.identify().number_digits, "");
    f.handle(ev::Erase{}); // nothing to erase: no harm
    EXPECT_EQ(f.identify().number_digits, "");
    type(f, "12345678901234567890");
    EXPECT_EQ(f.identify().number_digits.size(), kMaxDigits);
    EXPECT_EQ(f.identify().number_digits, "123456789012345");
    f.handle(ev::Shift{}); // no meaning on the keypad
    EXPECT_EQ(f.screen(), Screen::EnterNumber);
}

TEST(FlowIdentify, BackFromTheKeypadForgetsTheDigits) {
    Flow f = on_keypad(IdKind::Cccd);
    type(f, "0790");
    f.handle(ev::Back{});
    EXPECT_EQ(f.screen(), Screen::Identify);
    EXPECT_TRUE(f.identify().number_digits.empty());
    f.handle(ev::ChooseIdKind{IdKind::Cccd});
    EXPECT_TRUE(f.identify().number_digits.empty());
}

TEST(FlowIdentify, SubmitNumberOutsideTheKeypadDoesNothing) {
    Flow f(Language::Vi);
    EXPECT_TRUE(no_effect(f.handle(ev::SubmitNumber{kYear})));
    EXPECT_EQ(f.screen(), Screen::Welcome);
    type(f, "079");
    EXPECT_TRUE(f.identify().number_digits.empty());
    f.handle(ev::TapFeature{Feature::Identify});
    EXPECT_TRUE(no_effect(f.handle(ev::SubmitNumber{kYear})));
    EXPECT_EQ(f.screen(), Screen::Identify);
}

// --- Scanning -------------------------------------------------------------------------------------------

TEST(FlowIdentify, ScanOfACccdQrOnWelcomeStartsALookupWithTheQrDetails) {
    Flow f(Language::Vi);
    const auto l = lookup_of(f.handle(ev::Scanned{kAnQr, kYear}));
    EXPECT_EQ(l.kind, IdKind::Cccd);
    EXPECT_EQ(l.value, kAnCccd);
    EXPECT_EQ(f.screen(), Screen::LookingUp);
    const PatientDetails& id = f.session().identity;
    EXPECT_EQ(id.cccd, kAnCccd);
    EXPECT_EQ(id.full_name, "Nguyễn Văn An");
    ASSERT_TRUE(id.birth_date);
    EXPECT_EQ(*id.birth_date, (LocalDate{1990, 1, 15}));
    EXPECT_EQ(id.sex, Sex::Male);
    EXPECT_EQ(id.address, "12 Lê Lợi, Quận 1, TP Hồ Chí Minh");
    EXPECT_TRUE(id.bhyt.empty());
    EXPECT_TRUE(f.in_session());
}

TEST(FlowIdentify, ScanOfABareNumberOrABhytCodeIsTakenToo) {
    {
        Flow f(Language::Vi);
        const auto l = lookup_of(f.handle(ev::Scanned{"079 090 001 234\r\n", kYear}));
        EXPECT_EQ(l.kind, IdKind::Cccd);
        EXPECT_EQ(l.value, kAnCccd);
        EXPECT_EQ(f.session().identity.cccd, kAnCccd);
        EXPECT_TRUE(f.session().identity.full_name.empty());
    }
    {
        Flow f(Language::Vi);
        const auto l = lookup_of(f.handle(ev::Scanned{"dn4790123456789", kYear}));
        EXPECT_EQ(l.kind, IdKind::Bhyt);
        EXPECT_EQ(l.value, kBhytCode) << "normalised to upper case";
        EXPECT_EQ(f.session().identity.bhyt, kBhytCode);
        EXPECT_TRUE(f.session().identity.cccd.empty());
    }
    {
        // The QR of a BHYT card (VssID): the card code first, then the hex-encoded name and more fields.
        Flow f(Language::Vi);
        const auto l = lookup_of(f.handle(
            ev::Scanned{"DN4790123456789|4e677579e1bb856e2056c4836e20416e|15/01/1990|1|12 Le Loi|79 - 001|"
                        "01/01/2026|-|...",
                        kYear}));
        EXPECT_EQ(l.kind, IdKind::Bhyt);
        EXPECT_EQ(l.value, kBhytCode);
    }
}

TEST(FlowIdentify, GarbageScanIsRejectedWithItsProblem) {
    struct Case {
        std::string text;
        IdProblem problem;
    };
    const std::vector<Case> cases{
        {"https://example.com/promo", IdProblem::NotCccdQr},
        {"hello world", IdProblem::NotCccdQr},
        // A real QR layout whose date of birth disagrees with the number (1991 vs 1990).
        {"079090001234|025123456|Nguyễn Văn An|15011991|Nam|12 Lê Lợi|01072021", IdProblem::QrDobMismatch},
        {"079090001234|025123456|Nguyễn Văn An|15011990|Nữ|12 Lê Lợi|01072021", IdProblem::QrSexMismatch},
        {"079090001234|025123456||15011990|Nam|12 Lê Lợi|01072021", IdProblem::MissingName},
        {"079090001234|025123456|Nguyễn Văn An|31021990|Nam|12 Lê Lợi|01072021", IdProblem::BadQrDate},
        {std::string(3000, '7'), IdProblem::TooLong},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text.substr(0, 60));
        Flow f(Language::Vi);
        EXPECT_TRUE(no_effect(f.handle(ev::Scanned{c.text, kYear})));
        EXPECT_EQ(f.screen(), Screen::IdRejected);
        ASSERT_TRUE(f.identify().id_problem);
        EXPECT_EQ(*f.identify().id_problem, c.problem);
        EXPECT_EQ(f.session().identity, PatientDetails{}) << "nothing of a refused scan is kept";
    }
}

TEST(FlowIdentify, RejectedScanRetryAndBackGoToIdentify) {
    for (const Event& leave : {Event{ev::Retry{}}, Event{ev::Back{}}}) {
        Flow f(Language::Vi);
        f.handle(ev::Scanned{"hello world", kYear});
        ASSERT_EQ(f.screen(), Screen::IdRejected);
        f.handle(leave);
        EXPECT_EQ(f.screen(), Screen::Identify);
        EXPECT_FALSE(f.identify().id_problem);
    }
    Flow f(Language::Vi);
    f.handle(ev::Scanned{"hello world", kYear});
    f.handle(ev::Done{});
    EXPECT_EQ(f.screen(), Screen::Welcome);
    expect_no_patient_data(f);
}

TEST(FlowIdentify, RejectedScanForgetsThePreviousPatient) {
    Flow f = register_from_qr();
    f.handle(ev::Scanned{"hello world", kYear});
    EXPECT_EQ(f.screen(), Screen::IdRejected);
    EXPECT_EQ(f.registration().draft, PatientDetails{});
    EXPECT_EQ(f.session().identity, PatientDetails{});
}

TEST(FlowIdentify, UnreadableScanSaysSoAndForgetsThePreviousPatient) {
    Flow f = register_from_qr();
    // No work starts; the app is told to forget the patient whose form was on screen.
    EXPECT_TRUE(holds_only<fx::ForgetPatient>(f.handle(ev::ScanUnreadable{})));
    EXPECT_EQ(f.screen(), Screen::IdRejected);
    ASSERT_TRUE(f.identify().id_problem);
    EXPECT_EQ(*f.identify().id_problem, IdProblem::ScanIncomplete);
    EXPECT_EQ(f.registration().draft, PatientDetails{});
    EXPECT_EQ(f.session().identity, PatientDetails{});
    f.handle(ev::Retry{});
    EXPECT_EQ(f.screen(), Screen::Identify);

    Flow from_welcome(Language::Vi);
    from_welcome.handle(ev::ScanUnreadable{});
    EXPECT_EQ(from_welcome.screen(), Screen::IdRejected);
}

TEST(FlowIdentify, UnreadableScanWaitsWhileALookupRuns) {
    Flow f(Language::Vi);
    f.handle(ev::Scanned{kAnQr, kYear});
    ASSERT_EQ(f.screen(), Screen::LookingUp);
    EXPECT_TRUE(no_effect(f.handle(ev::ScanUnreadable{})));
    EXPECT_EQ(f.screen(), Screen::LookingUp);
}

namespace {

// Drives a flow to `target` with patient Bình's data around (where the screen has any).
Flow at_screen(Screen target) {
    const auto busy_lookup = [] {
        Flow f(Language::Vi);
        f.handle(ev::Scanned{kBinhQr, kYear});
        return f;
    };
    switch (target) {
    case Screen::Welcome:
        return Flow(Language::Vi);
    case Screen::ChooseService: {
        Flow f(Language::Vi);
        f.handle(ev::TapFeature{Feature::QueueTicket});
        return f;
    }
    case Screen::IssuingTicket: {
        Flow f(Language::Vi);
        f.handle(ev::TapFeature{Feature::QueueTicket});
        f.handle(ev::ChooseService{"KBH"});
        return f;
    }
    case Screen::TicketIssued:
    case Screen::TicketFailed: {
        Flow f = busy_lookup();
        f.handle(ev::LookupDone{f.identify().request, found(known("Trần T*** B", "his-b"))});
        f.handle(ev::TapFeature{Feature::QueueTicket});
        f.handle(ev::ChooseService{"KBH"});
        const std::uint64_t req = f.queue().request;
        if (target == Screen::TicketIssued) {
            kiosk::core::Ticket ticket;
            ticket.display_number = "AB-001";
            ticket.service_code = "KBH";
            f.handle(ev::TicketStored{req, ticket});
        } else {
            f.handle(ev::TicketFailed{req});
        }
        return f;
    }
    case Screen::Identify: {
        Flow f(Language::Vi);
        f.handle(ev::TapFeature{Feature::Identify});
        return f;
    }
    case Screen::EnterNumber: {
        Flow f = on_keypad(IdKind::Cccd);
        type(f, "0011850");
        return f;
    }
    case Screen::LookingUp:
        return busy_lookup();
    case Screen::Greeting: {
        Flow f = busy_lookup();
        f.handle(ev::LookupDone{f.identify().request, found(known("Trần T*** B", "his-b"))});
        return f;
    }
    case Screen::NotFound:
        return not_found_after_scan(kBinhQr);
    case Screen::SeeStaff: {
        Flow f = busy_lookup();
        f.handle(ev::LookupDone{f.identify().request, several()});
        return f;
    }
    case Screen::IdRejected: {
        Flow f(Language::Vi);
        f.handle(ev::Scanned{"garbage", kYear});
        return f;
    }
    case Screen::HisUnavailable: {
        Flow f = busy_lookup();
        f.handle(ev::LookupDone{f.identify().request, his_unavailable()});
        return f;
    }
    case Screen::Register:
    case Screen::EditField:
    case Screen::Registering:
    case Screen::RegisterFailed: {
        Flow f = not_found_after_scan(kBinhQr);
        f.handle(ev::StartRegistration{});
        if (target == Screen::Register) return f;
        if (target == Screen::EditField) {
            f.handle(ev::EditField{Field::Phone});
            type(f, "0912");
            return f;
        }
        const auto r = register_of(f.handle(ev::SubmitRegistration{kYear}));
        if (target == Screen::RegisterFailed) f.handle(ev::RegistrationFailed{r.request});
        return f;
    }
    case Screen::LoadingBills:
    case Screen::Bills:
    case Screen::NoBills:
    case Screen::BillsUnavailable:
    case Screen::PayByQr:
    case Screen::PaymentReceived:
    case Screen::PaymentExpired:
    case Screen::PaymentStopped:
    case Screen::FindingReceipt:
    case Screen::NoReceipt: {
        PaymentSettings pay;
        pay.account = kiosk::core::PaymentAccount{
            "970436", "0071000123456", kiosk::core::vietqr::Service::ToAccount, "BENH VIEN", "Vietcombank"};
        Flow f(Language::Vi, pay);
        if (target == Screen::FindingReceipt || target == Screen::NoReceipt) {
            f.handle(ev::Scanned{"HD-2026-0001", kYear});
            if (target == Screen::NoReceipt) f.handle(ev::ReceiptFound{f.payment().request, std::nullopt, 0});
            return f;
        }
        f.handle(ev::Scanned{kBinhQr, kYear});
        f.handle(ev::LookupDone{f.identify().request, found(known("Trần T*** B", "his-b"))});
        f.handle(ev::TapFeature{Feature::Pay});
        if (target == Screen::LoadingBills) return f;
        kiosk::core::Bill bill;
        bill.his_id = "inv-1";
        bill.number = "HD1";
        bill.amount_vnd = 1000;
        const bool answered = target != Screen::BillsUnavailable;
        std::vector<kiosk::core::Bill> bills;
        if (target != Screen::NoBills && answered) bills.push_back(bill);
        f.handle(ev::BillsLoaded{f.payment().request, answered, bills, 0});
        if (target == Screen::Bills || target == Screen::NoBills || target == Screen::BillsUnavailable)
            return f;
        constexpr kiosk::core::UnixMillis kAt = 1'796'000'000'000;
        f.handle(ev::PayBills{0, kAt});
        const std::uint64_t r = f.payment().request;
        if (target == Screen::PaymentExpired) f.handle(ev::PaymentCheckDue{r, kAt + 3'600'000});
        if (target == Screen::PaymentReceived || target == Screen::PaymentStopped) {
            f.handle(ev::PaymentCheckDue{r, kAt + 2000});
            bill.status = target == Screen::PaymentReceived ? kiosk::core::Bill::Status::Paid
                                                            : kiosk::core::Bill::Status::Cancelled;
            f.handle(ev::PaymentChecked{r, true, {bill}, kAt + 2500});
        }
        return f;
    }
    }
    return Flow(Language::Vi);
}

} // namespace

TEST(FlowIdentify, ScanOnAnyIdleScreenStartsOverForTheNewPatient) {
    for (const Screen s :
         {Screen::Welcome,          Screen::ChooseService,  Screen::TicketIssued,    Screen::TicketFailed,
          Screen::Identify,         Screen::EnterNumber,    Screen::Greeting,        Screen::NotFound,
          Screen::SeeStaff,         Screen::IdRejected,     Screen::HisUnavailable,  Screen::Register,
          Screen::EditField,        Screen::RegisterFailed, Screen::Bills,           Screen::NoBills,
          Screen::BillsUnavailable, Screen::PayByQr,        Screen::PaymentReceived, Screen::PaymentExpired,
          Screen::PaymentStopped}) {
        SCOPED_TRACE(screen_name(s));
        Flow f = at_screen(s);
        ASSERT_EQ(f.screen(), s);
        f.handle(ev::SetLanguage{Language::En});
        const std::uint64_t before = f.session().last_request();
        const auto l = lookup_of(f.handle(ev::Scanned{kAnQr, kYear}));
        EXPECT_EQ(l.value, kAnCccd);
        EXPECT_GT(l.request, before);
        EXPECT_EQ(f.screen(), Screen::LookingUp);
        // Only the new patient's scan is left; Bình's data is gone.
        EXPECT_EQ(f.session().identity.cccd, kAnCccd);
        EXPECT_EQ(f.session().identity.full_name, "Nguyễn Văn An");
        EXPECT_EQ(f.registration().draft, PatientDetails{});
        EXPECT_FALSE(f.registration().editor);
        EXPECT_FALSE(f.session().patient);
        EXPECT_TRUE(f.identify().number_digits.empty());
        EXPECT_FALSE(f.identify().id_problem);
        EXPECT_FALSE(f.registration().draft_problem);
        EXPECT_EQ(f.session().language, Language::En) << "the language chosen is kept";
    }
}

TEST(FlowIdentify, ScanWhileBusyIsIgnored) {
    for (const Screen s :
         {Screen::LookingUp, Screen::IssuingTicket, Screen::Registering, Screen::LoadingBills}) {
        SCOPED_TRACE(screen_name(s));
        Flow f = at_screen(s);
        ASSERT_EQ(f.screen(), s);
        EXPECT_TRUE(f.busy());
        const Flow before = f;
        EXPECT_TRUE(no_effect(f.handle(ev::Scanned{kAnQr, kYear})));
        EXPECT_TRUE(no_effect(f.handle(ev::Scanned{"hello world", kYear})));
        EXPECT_EQ(f.screen(), s);
        EXPECT_EQ(f.session().last_request(), before.session().last_request()) << "no work started";
        EXPECT_EQ(f.session().identity, before.session().identity);
        EXPECT_EQ(f.registration().draft, before.registration().draft);
        EXPECT_FALSE(f.identify().id_problem);
    }
}

// --- Lookup results ---------------------------------------------------------------------------------------

TEST(FlowIdentify, FoundGreetsThePatient) {
    Flow f(Language::Vi);
    const auto l = lookup_of(f.handle(ev::Scanned{kAnQr, kYear}));
    KnownPatient p = known("Nguyễn V*** A", "his-17");
    p.from_cache = true;
    EXPECT_TRUE(no_effect(f.handle(ev::LookupDone{l.request, found(p, true)})));
    EXPECT_EQ(f.screen(), Screen::Greeting);
    EXPECT_FALSE(f.busy());
    ASSERT_TRUE(f.session().patient);
    EXPECT_EQ(f.session().patient->masked_name, "Nguyễn V*** A");
    EXPECT_EQ(f.session().patient->his_id, "his-17");
    EXPECT_TRUE(f.session().patient->from_cache);
    EXPECT_TRUE(f.identify().his_offline);
}

TEST(FlowIdentify, NotFoundOffersRegistrationPrefilledFromTheQr) {
    Flow f(Language::Vi);
    const auto l = lookup_of(f.handle(ev::Scanned{kAnQr, kYear}));
    f.handle(ev::LookupDone{l.request, not_found(true)});
    EXPECT_EQ(f.screen(), Screen::NotFound);
    EXPECT_TRUE(f.identify().his_offline);
    EXPECT_FALSE(f.session().patient);
    const PatientDetails identity = f.session().identity;
    f.handle(ev::StartRegistration{});
    EXPECT_EQ(f.screen(), Screen::Register);
    EXPECT_EQ(f.registration().draft, identity);
    EXPECT_EQ(f.registration().draft.full_name, "Nguyễn Văn An");
    EXPECT_EQ(f.registration().draft.sex, Sex::Male);
}

TEST(FlowIdentify, NotFoundAfterTypingACccdPrefillsNumberAndSex) {
    Flow f = on_keypad(IdKind::Cccd);
    type(f, kBinhCccd);
    const auto l = lookup_of(f.handle(ev::SubmitNumber{kYear}));
    f.handle(ev::LookupDone{l.request, not_found()});
    f.handle(ev::StartRegistration{});
    EXPECT_EQ(f.registration().draft.cccd, kBinhCccd);
    EXPECT_EQ(f.registration().draft.sex, Sex::Female);
    EXPECT_TRUE(f.registration().draft.full_name.empty());
    EXPECT_FALSE(f.registration().draft.birth_date);
}

TEST(FlowIdentify, StartRegistrationOnlyFromNotFound) {
    Flow f(Language::Vi);
    const auto l = lookup_of(f.handle(ev::Scanned{kAnQr, kYear}));
    f.handle(ev::StartRegistration{});
    EXPECT_EQ(f.screen(), Screen::LookingUp);
    f.handle(ev::LookupDone{l.request, found(known("Nguyễn V*** A", "his-1"))});
    f.handle(ev::StartRegistration{});
    EXPECT_EQ(f.screen(), Screen::Greeting);
    EXPECT_EQ(f.registration().draft, PatientDetails{});
}

TEST(FlowIdentify, NotFoundBackGoesToIdentifyAndForgets) {
    Flow f = not_found_after_scan(kAnQr);
    f.handle(ev::Back{});
    EXPECT_EQ(f.screen(), Screen::Identify);
    EXPECT_EQ(f.session().identity, PatientDetails{});
}

TEST(FlowIdentify, SeveralSendsToStaff) {
    Flow f(Language::Vi);
    const auto l = lookup_of(f.handle(ev::Scanned{kAnQr, kYear}));
    f.handle(ev::LookupDone{l.request, several()});
    EXPECT_EQ(f.screen(), Screen::SeeStaff);
    EXPECT_FALSE(f.session().patient);
    f.handle(ev::StartRegistration{}); // no registration of a duplicate
    EXPECT_EQ(f.screen(), Screen::SeeStaff);
    f.handle(ev::Done{});
    EXPECT_EQ(f.screen(), Screen::Welcome);
    expect_no_patient_data(f);
}

TEST(FlowIdentify, StaleLookupResultsAreIgnored) {
    Flow f(Language::Vi);
    const auto first = lookup_of(f.handle(ev::Scanned{kAnQr, kYear}));
    f.handle(ev::IdleTimeout{});
    const auto second = lookup_of(f.handle(ev::Scanned{kBinhQr, kYear}));
    EXPECT_NE(first.request, second.request);
    // An's answer arrives late: it must not greet Bình.
    f.handle(ev::LookupDone{first.request, found(known("Nguyễn V*** A", "his-a"))});
    EXPECT_EQ(f.screen(), Screen::LookingUp);
    EXPECT_FALSE(f.session().patient);
    f.handle(ev::LookupDone{second.request, found(known("Trần T*** B", "his-b"))});
    EXPECT_EQ(f.screen(), Screen::Greeting);
    EXPECT_EQ(f.session().patient->his_id, "his-b");
    // A repeat of the answer changes nothing.
    f.handle(ev::LookupDone{second.request, not_found()});
    EXPECT_EQ(f.screen(), Screen::Greeting);
}

TEST(FlowIdentify, LookupResultAfterAResetIsIgnored) {
    Flow f(Language::Vi);
    const auto l = lookup_of(f.handle(ev::Scanned{kAnQr, kYear}));
    f.handle(ev::IdleTimeout{});
    f.handle(ev::LookupDone{l.request, found(known("Nguyễn V*** A", "his-a"))});
    EXPECT_EQ(f.screen(), Screen::Welcome);
    EXPECT_FALSE(f.session().patient);
}

TEST(FlowIdentify, BackWhileLookingUpDoesNothing) {
    Flow f(Language::Vi);
    f.handle(ev::Scanned{kAnQr, kYear});
    f.handle(ev::Back{});
    f.handle(ev::Done{});
    EXPECT_EQ(f.screen(), Screen::LookingUp);
}

// --- Greeting -------------------------------------------------------------------------------------------

TEST(FlowIdentify, GreetingToQueueTicketAndBack) {
    Flow f = at_screen(Screen::Greeting);
    f.handle(ev::TapFeature{Feature::Identify}); // already identified
    EXPECT_EQ(f.screen(), Screen::Greeting);
    f.handle(ev::TapFeature{Feature::QueueTicket});
    EXPECT_EQ(f.screen(), Screen::ChooseService);
    f.handle(ev::Back{});
    EXPECT_EQ(f.screen(), Screen::Greeting);
    ASSERT_TRUE(f.session().patient);
    EXPECT_EQ(f.session().patient->his_id, "his-b");
    f.handle(ev::Back{}); // the greeting has no way back, only Done
    EXPECT_EQ(f.screen(), Screen::Greeting);
}

TEST(FlowIdentify, TicketForAnIdentifiedPatientThenDoneForgetsThem) {
    Flow f = at_screen(Screen::TicketIssued);
    ASSERT_TRUE(f.queue().ticket);
    ASSERT_TRUE(f.session().patient);
    f.handle(ev::Done{});
    EXPECT_EQ(f.screen(), Screen::Welcome);
    EXPECT_FALSE(f.queue().ticket);
    expect_no_patient_data(f);
}

// --- Field editors --------------------------------------------------------------------------------------

TEST(FlowIdentify, NameIsTypedInTelexWithCapitals) {
    Flow f = register_from_bhyt_number();
    f.handle(ev::EditField{Field::FullName});
    EXPECT_EQ(f.screen(), Screen::EditField);
    ASSERT_TRUE(f.registration().editor);
    EXPECT_EQ(f.registration().editor->field, Field::FullName);
    EXPECT_TRUE(f.registration().editor->shift) << "an empty field starts with a capital";
    type(f, "nguyeenx vawn an");
    EXPECT_EQ(f.registration().editor->text.text(), "Nguyễn Văn An");
    f.handle(ev::FieldOk{});
    EXPECT_EQ(f.screen(), Screen::Register);
    EXPECT_FALSE(f.registration().editor);
    EXPECT_EQ(f.registration().draft.full_name, "Nguyễn Văn An");
}

TEST(FlowIdentify, NameWithDdAndTones) {
    Flow f = register_from_bhyt_number();
    set_field(f, Field::FullName, "ddoox thij hoaf");
    EXPECT_EQ(f.registration().draft.full_name, "Đỗ Thị Hoà");
    set_field(f, Field::FullName, "tran thij thuyr  ");
    EXPECT_EQ(f.registration().draft.full_name, "Tran Thị Thuỷ") << "trailing spaces are dropped";
}

TEST(FlowIdentify, EditingAPrefilledNameContinuesIt) {
    Flow f = register_from_qr();
    f.handle(ev::EditField{Field::FullName});
    ASSERT_TRUE(f.registration().editor);
    EXPECT_EQ(f.registration().editor->text.text(), "Nguyễn Văn An");
    EXPECT_FALSE(f.registration().editor->shift);
    f.handle(ev::Erase{});
    EXPECT_EQ(f.registration().editor->text.text(), "Nguyễn Văn A");
    for (int i = 0; i < 3; ++i)
        f.handle(ev::Erase{}); // "A", " ", "n"
    EXPECT_EQ(f.registration().editor->text.text(), "Nguyễn Vă");
    f.handle(ev::Erase{}); // the whole "ă" goes at once
    EXPECT_EQ(f.registration().editor->text.text(), "Nguyễn V");
    type(f, "aan");
    EXPECT_EQ(f.registration().editor->text.text(), "Nguyễn Vân");
    f.handle(ev::FieldOk{});
    EXPECT_EQ(f.registration().draft.full_name, "Nguyễn Vân");
}

TEST(FlowIdentify, AddressCapitalisesOnlyWithShift) {
    Flow f = register_from_qr();
    set_field(f, Field::Address, "so 5 nha trang");
    EXPECT_EQ(f.registration().draft.address, "So 5 nha trang") << "only the first letter of an empty field";
    f.handle(ev::EditField{Field::Address});
    f.handle(ev::Clear{});
    ASSERT_TRUE(f.registration().editor);
    EXPECT_TRUE(f.registration().editor->shift) << "Clear starts over with a capital";
    type(f, "12 ");
    EXPECT_TRUE(f.registration().editor->shift) << "digits and spaces do not use the shift";
    type(f, "le ");
    f.handle(ev::Shift{});
    EXPECT_TRUE(f.registration().editor->shift);
    type(f, "lowji");
    EXPECT_FALSE(f.registration().editor->shift) << "the shift is one-shot";
    EXPECT_EQ(f.registration().editor->text.text(), "12 Le Lợi");
    f.handle(ev::Shift{});
    f.handle(ev::Shift{}); // toggled off again
    type(f, " q");
    EXPECT_EQ(f.registration().editor->text.text(), "12 Le Lợi q");
}

TEST(FlowIdentify, TextFieldsStopAtTheirLength) {
    Flow f = register_from_qr();
    f.handle(ev::EditField{Field::FullName});
    f.handle(ev::Clear{});
    type(f, std::string(kMaxNameLength + 20, 'b'));
    EXPECT_EQ(f.registration().editor->text.length(), kMaxNameLength);
    f.handle(ev::Back{});
    f.handle(ev::EditField{Field::Address});
    f.handle(ev::Clear{});
    type(f, std::string(kMaxAddressLength + 20, 'b'));
    EXPECT_EQ(f.registration().editor->text.length(), kMaxAddressLength);
}

TEST(FlowIdentify, BirthDateOnTheKeypad) {
    Flow f = register_from_bhyt_number();
    f.handle(ev::EditField{Field::BirthDate});
    ASSERT_TRUE(f.registration().editor);
    EXPECT_TRUE(f.registration().editor->digits.empty());
    type(f, "2902199612"); // two keys too many
    EXPECT_EQ(f.registration().editor->digits, "29021996");
    f.handle(ev::FieldOk{});
    EXPECT_EQ(f.screen(), Screen::Register);
    ASSERT_TRUE(f.registration().draft.birth_date);
    EXPECT_EQ(*f.registration().draft.birth_date, (LocalDate{1996, 2, 29}));
    EXPECT_EQ(field_value(f.registration().draft, Field::BirthDate), "29/02/1996");
    // Reopened: the date as DDMMYYYY.
    f.handle(ev::EditField{Field::BirthDate});
    EXPECT_EQ(f.registration().editor->digits, "29021996");
}

TEST(FlowIdentify, InvalidBirthDateKeepsTheEditorOpen) {
    Flow f = register_from_qr();
    for (const char* digits : {"29021990", "31041990", "1501199", "00011990", "15131990"}) {
        SCOPED_TRACE(digits);
        f.handle(ev::EditField{Field::BirthDate});
        f.handle(ev::Clear{});
        type(f, digits);
        f.handle(ev::FieldOk{});
        EXPECT_EQ(f.screen(), Screen::EditField);
        ASSERT_TRUE(f.registration().editor);
        EXPECT_EQ(f.registration().editor->digits, digits) << "the digits stay to be corrected";
        EXPECT_EQ(*f.registration().draft.birth_date, (LocalDate{1990, 1, 15})) << "the old date is kept";
        f.handle(ev::Back{});
    }
}

TEST(FlowIdentify, EmptyBirthDateRemovesIt) {
    Flow f = register_from_qr();
    f.handle(ev::EditField{Field::BirthDate});
    f.handle(ev::Erase{});
    EXPECT_EQ(f.registration().editor->digits, "1501199");
    f.handle(ev::Clear{});
    EXPECT_FALSE(f.registration().editor->shift);
    f.handle(ev::FieldOk{});
    EXPECT_EQ(f.screen(), Screen::Register);
    EXPECT_FALSE(f.registration().draft.birth_date);
}

TEST(FlowIdentify, BackOnAnEditorCancelsIt) {
    Flow f = register_from_qr();
    const PatientDetails before = f.registration().draft;
    for (const Field field : {Field::FullName, Field::Address, Field::BirthDate, Field::Cccd}) {
        SCOPED_TRACE(field_name(field));
        f.handle(ev::EditField{field});
        f.handle(ev::Clear{});
        type(f, "1234");
        f.handle(ev::Back{});
        EXPECT_EQ(f.screen(), Screen::Register);
        EXPECT_FALSE(f.registration().editor);
        EXPECT_EQ(f.registration().draft, before);
    }
}

TEST(FlowIdentify, NumericFieldsTakeDigitsOnly) {
    Flow f = register_from_qr();
    f.handle(ev::EditField{Field::Phone});
    type(f, "09a1 2-3");
    EXPECT_EQ(f.registration().editor->digits, "09123");
    type(f, "45678901234567");
    EXPECT_EQ(f.registration().editor->digits.size(), kMaxDigits);
    f.handle(ev::Erase{});
    EXPECT_EQ(f.registration().editor->digits.size(), kMaxDigits - 1);
    f.handle(ev::Clear{});
    type(f, "0912345678");
    f.handle(ev::FieldOk{});
    EXPECT_EQ(f.registration().draft.phone, "0912345678");
    f.handle(ev::EditField{Field::Cccd});
    EXPECT_EQ(f.registration().editor->digits, kAnCccd) << "prefilled with the current value";
}

TEST(FlowIdentify, EditorEventsOutsideTheEditorDoNothing) {
    Flow f = register_from_qr();
    const PatientDetails before = f.registration().draft;
    type(f, "abc");
    f.handle(ev::Erase{});
    f.handle(ev::Clear{});
    f.handle(ev::Shift{});
    f.handle(ev::FieldOk{});
    EXPECT_EQ(f.screen(), Screen::Register);
    EXPECT_EQ(f.registration().draft, before);
    EXPECT_FALSE(f.registration().editor);
    // EditField and SetSex only on the form.
    Flow g(Language::Vi);
    g.handle(ev::EditField{Field::FullName});
    g.handle(ev::SetSex{Sex::Female});
    EXPECT_EQ(g.screen(), Screen::Welcome);
    EXPECT_EQ(g.registration().draft, PatientDetails{});
}

// --- Submitting the registration ------------------------------------------------------------------------

TEST(FlowIdentify, RegistrationFromTheQrSubmitsTheDetails) {
    Flow f = register_from_qr();
    set_field(f, Field::Phone, "84912345678");
    const auto r = register_of(f.handle(ev::SubmitRegistration{kYear}));
    EXPECT_EQ(f.screen(), Screen::Registering);
    EXPECT_TRUE(f.busy());
    EXPECT_EQ(r.request, f.registration().request);
    EXPECT_EQ(r.details.cccd, kAnCccd);
    EXPECT_EQ(r.details.full_name, "Nguyễn Văn An");
    EXPECT_EQ(*r.details.birth_date, (LocalDate{1990, 1, 15}));
    EXPECT_EQ(r.details.sex, Sex::Male);
    EXPECT_EQ(r.details.address, "12 Lê Lợi, Quận 1, TP Hồ Chí Minh");
    EXPECT_EQ(r.details.phone, "0912345678") << "normalised";
    EXPECT_FALSE(f.registration().draft_problem_field);
    // A double tap registers once.
    EXPECT_TRUE(no_effect(f.handle(ev::SubmitRegistration{kYear})));
}

TEST(FlowIdentify, SexIsTakenFromTheCccdWhenNotChosen) {
    Flow f = register_from_bhyt_number();
    set_field(f, Field::FullName, "traanf thij binhf");
    set_field(f, Field::BirthDate, "02031985");
    set_field(f, Field::Cccd, kBinhCccd);
    EXPECT_EQ(f.registration().draft.sex, Sex::Unknown);
    const auto r = register_of(f.handle(ev::SubmitRegistration{kYear}));
    EXPECT_EQ(r.details.full_name, "Trần Thị Bình");
    EXPECT_EQ(r.details.sex, Sex::Female);
    EXPECT_EQ(r.details.cccd, kBinhCccd);
    EXPECT_EQ(r.details.bhyt, "0123456789");
    EXPECT_TRUE(r.details.phone.empty());
}

TEST(FlowIdentify, RegistrationWithABhytCodeOnly) {
    Flow f(Language::Vi);
    const auto l = lookup_of(f.handle(ev::Scanned{"dn 479 0123456789", kYear}));
    f.handle(ev::LookupDone{l.request, not_found()});
    f.handle(ev::StartRegistration{});
    set_field(f, Field::FullName, "le an");
    set_field(f, Field::BirthDate, "01012020");
    f.handle(ev::SetSex{Sex::Female});
    const auto r = register_of(f.handle(ev::SubmitRegistration{kYear}));
    EXPECT_EQ(r.details.bhyt, kBhytCode);
    EXPECT_TRUE(r.details.cccd.empty());
    EXPECT_EQ(r.details.full_name, "Le An");
    EXPECT_EQ(r.details.sex, Sex::Female);
}

TEST(FlowIdentify, SubmitRefusalsPointAtTheField) {
    struct Case {
        const char* what;
        std::function<void(Flow&)> change; // applied to a complete, valid form (BHYT 10 digits + CCCD An)
        Field field;
        std::optional<IdProblem> problem;
    };
    const std::vector<Case> cases{
        {"missing name", [](Flow& f) { set_field(f, Field::FullName, ""); }, Field::FullName, std::nullopt},
        {"blank name", [](Flow& f) { set_field(f, Field::FullName, "   "); }, Field::FullName, std::nullopt},
        {"missing birth date", [](Flow& f) { set_field(f, Field::BirthDate, ""); }, Field::BirthDate,
         std::nullopt},
        {"future birth date", [](Flow& f) { set_field(f, Field::BirthDate, "01012027"); }, Field::BirthDate,
         std::nullopt},
        {"neither CCCD nor BHYT",
         [](Flow& f) {
             set_field(f, Field::Cccd, "");
             set_field(f, Field::Bhyt, "");
         },
         Field::Cccd, IdProblem::Empty},
        {"CCCD too short", [](Flow& f) { set_field(f, Field::Cccd, "07909000123"); }, Field::Cccd,
         IdProblem::WrongLength},
        {"CCCD bad province", [](Flow& f) { set_field(f, Field::Cccd, "003090001234"); }, Field::Cccd,
         IdProblem::UnknownProvince},
        {"CCCD century", [](Flow& f) { set_field(f, Field::Cccd, "079890001234"); }, Field::Cccd,
         IdProblem::BadCenturySex},
        {"CCCD year vs birth date", [](Flow& f) { set_field(f, Field::BirthDate, "15011991"); }, Field::Cccd,
         IdProblem::QrDobMismatch},
        {"CCCD sex vs chosen sex", [](Flow& f) { f.handle(ev::SetSex{Sex::Female}); }, Field::Cccd,
         IdProblem::QrSexMismatch},
        {"BHYT wrong length", [](Flow& f) { set_field(f, Field::Bhyt, "12345"); }, Field::Bhyt,
         IdProblem::WrongLength},
        {"BHYT 12 digits not a CCCD", [](Flow& f) { set_field(f, Field::Bhyt, "003090001234"); }, Field::Bhyt,
         IdProblem::UnknownProvince},
        {"phone too short", [](Flow& f) { set_field(f, Field::Phone, "09123"); }, Field::Phone, std::nullopt},
        {"phone international prefix", [](Flow& f) { set_field(f, Field::Phone, "00912345678"); },
         Field::Phone, std::nullopt},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.what);
        Flow f = register_from_bhyt_number();
        set_field(f, Field::FullName, "nguyeenx vawn an");
        set_field(f, Field::BirthDate, "15011990");
        set_field(f, Field::Cccd, kAnCccd);
        set_field(f, Field::Phone, "0912345678");
        c.change(f);
        const std::uint64_t before = f.registration().request;
        EXPECT_TRUE(no_effect(f.handle(ev::SubmitRegistration{kYear})));
        EXPECT_EQ(f.screen(), Screen::Register);
        EXPECT_EQ(f.registration().request, before);
        ASSERT_TRUE(f.registration().draft_problem_field);
        EXPECT_EQ(*f.registration().draft_problem_field, c.field);
        EXPECT_EQ(f.registration().draft_problem, c.problem);
    }
}

TEST(FlowIdentify, FixingTheRefusedFieldClearsTheProblem) {
    Flow f = register_from_qr();
    set_field(f, Field::Phone, "123");
    f.handle(ev::SubmitRegistration{kYear});
    ASSERT_EQ(f.registration().draft_problem_field, Field::Phone);
    // Editing another field leaves the problem shown.
    set_field(f, Field::Address, "so 1");
    EXPECT_EQ(f.registration().draft_problem_field, Field::Phone);
    // Cancelling the editor of the refused field too.
    f.handle(ev::EditField{Field::Phone});
    f.handle(ev::Back{});
    EXPECT_EQ(f.registration().draft_problem_field, Field::Phone);
    set_field(f, Field::Phone, "0912345678");
    EXPECT_FALSE(f.registration().draft_problem_field);
    EXPECT_TRUE(holds_only<fx::RegisterPatient>(f.handle(ev::SubmitRegistration{kYear})));
}

TEST(FlowIdentify, BirthDateLaterThisYearIsAcceptedByTheYearCheck) {
    // The flow only knows the current year: 31/12 of this year passes (documents the limit of the check).
    Flow f = register_from_bhyt_number();
    set_field(f, Field::FullName, "be an");
    set_field(f, Field::BirthDate, "31122026");
    EXPECT_TRUE(holds_only<fx::RegisterPatient>(f.handle(ev::SubmitRegistration{kYear})));
}

TEST(FlowIdentify, SubmitOutsideTheFormDoesNothing) {
    Flow f = not_found_after_scan(kAnQr);
    EXPECT_TRUE(no_effect(f.handle(ev::SubmitRegistration{kYear})));
    EXPECT_EQ(f.screen(), Screen::NotFound);
    Flow g = register_from_qr();
    g.handle(ev::EditField{Field::Phone});
    EXPECT_TRUE(no_effect(g.handle(ev::SubmitRegistration{kYear})));
    EXPECT_EQ(g.screen(), Screen::EditField);
}

TEST(FlowIdentify, RegisteredGreetsTheNewPatientAndWipesTheForm) {
    Flow f = register_from_qr();
    const auto r = register_of(f.handle(ev::SubmitRegistration{kYear}));
    KnownPatient p;
    p.masked_name = "Nguyễn V*** A";
    p.kiosk_patient_id = "BVDK-QN-20261130-P-A0007";
    f.handle(ev::Registered{r.request + 100, p}); // not ours
    EXPECT_EQ(f.screen(), Screen::Registering);
    f.handle(ev::RegistrationFailed{r.request + 100});
    EXPECT_EQ(f.screen(), Screen::Registering);
    f.handle(ev::Registered{r.request, p});
    EXPECT_EQ(f.screen(), Screen::Greeting);
    ASSERT_TRUE(f.session().patient);
    EXPECT_EQ(f.session().patient->kiosk_patient_id, "BVDK-QN-20261130-P-A0007");
    EXPECT_EQ(f.session().patient->masked_name, "Nguyễn V*** A");
    EXPECT_EQ(f.registration().draft, PatientDetails{});
    EXPECT_EQ(f.session().identity, PatientDetails{});
    // Now a ticket.
    f.handle(ev::TapFeature{Feature::QueueTicket});
    EXPECT_EQ(f.screen(), Screen::ChooseService);
}

TEST(FlowIdentify, RegistrationFailedThenRetryKeepsTheData) {
    Flow f = register_from_qr();
    set_field(f, Field::Phone, "0912345678");
    const auto first = register_of(f.handle(ev::SubmitRegistration{kYear}));
    const PatientDetails submitted = f.registration().draft;
    f.handle(ev::RegistrationFailed{first.request});
    EXPECT_EQ(f.screen(), Screen::RegisterFailed);
    EXPECT_FALSE(f.busy());
    f.handle(ev::Retry{});
    EXPECT_EQ(f.screen(), Screen::Register);
    EXPECT_EQ(f.registration().draft, submitted);
    const auto second = register_of(f.handle(ev::SubmitRegistration{kYear}));
    EXPECT_NE(second.request, first.request);
    EXPECT_EQ(second.details, first.details);
    // The first attempt's late success is not taken for the second.
    f.handle(ev::Registered{first.request, known("Nguyễn V*** A", "")});
    EXPECT_EQ(f.screen(), Screen::Registering);
}

TEST(FlowIdentify, RegisterFailedBackReturnsToTheFormAndDoneResets) {
    Flow f = at_screen(Screen::RegisterFailed);
    const PatientDetails draft = f.registration().draft;
    f.handle(ev::Back{});
    EXPECT_EQ(f.screen(), Screen::Register);
    EXPECT_EQ(f.registration().draft, draft);
    Flow g = at_screen(Screen::RegisterFailed);
    g.handle(ev::Done{});
    EXPECT_EQ(g.screen(), Screen::Welcome);
    expect_no_patient_data(g);
}

TEST(FlowIdentify, BackOnTheFormForgetsItAndGoesToIdentify) {
    Flow f = register_from_qr();
    set_field(f, Field::Phone, "0912345678");
    f.handle(ev::Back{});
    EXPECT_EQ(f.screen(), Screen::Identify);
    expect_no_patient_data(f);
}

// --- Ending the session -----------------------------------------------------------------------------------

TEST(FlowIdentify, DoneAndIdleTimeoutWipeEverything) {
    // IdleTimeout from every screen; Done from the screens that offer it.
    const std::vector<Screen> screens{
        Screen::Identify,     Screen::EnterNumber,   Screen::LookingUp,       Screen::Greeting,
        Screen::NotFound,     Screen::SeeStaff,      Screen::IdRejected,      Screen::Register,
        Screen::EditField,    Screen::Registering,   Screen::RegisterFailed,  Screen::TicketIssued,
        Screen::TicketFailed, Screen::ChooseService, Screen::HisUnavailable,  Screen::LoadingBills,
        Screen::Bills,        Screen::PayByQr,       Screen::PaymentReceived, Screen::PaymentExpired};
    for (const Screen s : screens) {
        SCOPED_TRACE(screen_name(s));
        Flow f = at_screen(s);
        ASSERT_EQ(f.screen(), s);
        f.handle(ev::SetLanguage{Language::En});
        f.handle(ev::IdleTimeout{});
        EXPECT_EQ(f.screen(), Screen::Welcome);
        EXPECT_EQ(f.session().language, Language::Vi);
        EXPECT_FALSE(f.in_session());
        EXPECT_FALSE(f.queue().ticket);
        EXPECT_TRUE(f.queue().service_code.empty());
        EXPECT_TRUE(f.payment().bills.empty());
        EXPECT_FALSE(f.payment().paying);
        EXPECT_TRUE(f.payment().code.empty());
        expect_no_patient_data(f);
    }
    for (const Screen s : {Screen::Greeting, Screen::SeeStaff, Screen::IdRejected, Screen::RegisterFailed,
                           Screen::TicketIssued, Screen::TicketFailed, Screen::Bills, Screen::NoBills,
                           Screen::BillsUnavailable, Screen::PaymentReceived, Screen::PaymentExpired,
                           Screen::PaymentStopped}) {
        SCOPED_TRACE(std::string("Done on ") + screen_name(s));
        Flow f = at_screen(s);
        f.handle(ev::SetLanguage{Language::En});
        f.handle(ev::Done{});
        EXPECT_EQ(f.screen(), Screen::Welcome);
        EXPECT_EQ(f.session().language, Language::Vi);
        EXPECT_TRUE(f.payment().bills.empty());
        expect_no_patient_data(f);
    }
}

TEST(FlowIdentify, DoneIsIgnoredMidForm) {
    for (const Screen s : {Screen::EnterNumber, Screen::Register, Screen::EditField, Screen::LookingUp,
                           Screen::Registering, Screen::LoadingBills, Screen::PayByQr}) {
        SCOPED_TRACE(screen_name(s));
        Flow f = at_screen(s);
        f.handle(ev::Done{});
        EXPECT_EQ(f.screen(), s);
    }
}

TEST(FlowIdentify, IdleTimeoutMidEditIgnoresLateRegistration) {
    Flow f = register_from_qr();
    const auto r = register_of(f.handle(ev::SubmitRegistration{kYear}));
    f.handle(ev::IdleTimeout{});
    f.handle(ev::Registered{r.request, known("Nguyễn V*** A", "")});
    EXPECT_EQ(f.screen(), Screen::Welcome);
    EXPECT_FALSE(f.session().patient);
}

// --- Suspected bugs ---------------------------------------------------------------------------------------

TEST(FlowIdentify, RefusedSubmitDoesNotChooseTheSex) {
    // The patient never chose a sex; the first submit is refused (bad phone) after the CCCD check already
    // copied the CCCD's sex into the draft. The patient then corrects a CCCD typo (female digit -> male)
    // and the phone: the second submit is refused with QrSexMismatch for a sex they never chose.
    Flow f = register_from_bhyt_number();
    set_field(f, Field::FullName, "nguyeenx vawn an");
    set_field(f, Field::BirthDate, "15011990");
    set_field(f, Field::Cccd, "079190001234"); // typo: 1 (female) for 0 (male)
    set_field(f, Field::Phone, "123");
    ASSERT_EQ(f.registration().draft.sex, Sex::Unknown);
    f.handle(ev::SubmitRegistration{kYear});
    ASSERT_EQ(f.registration().draft_problem_field, Field::Phone);
    EXPECT_EQ(f.registration().draft.sex, Sex::Unknown); // a refused submit chose nothing for the patient
    set_field(f, Field::Cccd, kAnCccd);
    set_field(f, Field::Phone, "0912345678");
    const auto r = register_of(f.handle(ev::SubmitRegistration{kYear}));
    EXPECT_EQ(r.details.sex, Sex::Male);
}

TEST(FlowIdentify, TypedNameIsStoredWithoutExtraSpaces) {
    // A scanned name is cleaned (runs of spaces collapsed, trimmed); a typed one only loses trailing spaces.
    Flow f = register_from_bhyt_number();
    set_field(f, Field::FullName, " le  an");
    EXPECT_EQ(f.registration().draft.full_name, "Le An");
}

TEST(FlowIdentify, ANewScanLeavesNothingOfThePreviousPatient) {
    Flow f(Language::Vi);
    f.handle(ev::TapFeature{Feature::QueueTicket});
    const Effects issue = f.handle(ev::ChooseService{"KBH"});
    ASSERT_TRUE(holds_only<fx::IssueTicket>(issue));
    kiosk::core::Ticket t;
    t.reference = "S-20261130-KBH-A001";
    f.handle(ev::TicketStored{std::get<fx::IssueTicket>(issue.front()).request, t});
    ASSERT_EQ(f.screen(), Screen::TicketIssued);
    const auto l = lookup_of(f.handle(ev::Scanned{kAnQr, kYear}));
    EXPECT_FALSE(f.queue().ticket) << "the previous patient's ticket";
    EXPECT_TRUE(f.queue().service_code.empty());
    // Found: what the card said is not kept behind the greeting (only a registration would need it).
    LookupOutcome found;
    found.kind = LookupOutcome::Kind::Found;
    found.patient.masked_name = "Nguyễn V*** A";
    f.handle(ev::LookupDone{l.request, found});
    ASSERT_EQ(f.screen(), Screen::Greeting);
    EXPECT_TRUE(f.session().identity.full_name.empty());
    EXPECT_TRUE(f.session().identity.cccd.empty());
    EXPECT_FALSE(f.session().identity.birth_date);
}

TEST(FlowIdentify, QueueTicketAfterTheGreetingIsForThatPatient) {
    Flow f(Language::Vi);
    const auto l = lookup_of(f.handle(ev::Scanned{kAnQr, kYear}));
    LookupOutcome found;
    found.kind = LookupOutcome::Kind::Found;
    found.patient.masked_name = "Nguyễn V*** A";
    found.patient.his_id = "his-42";
    f.handle(ev::LookupDone{l.request, found});
    f.handle(ev::TapFeature{Feature::QueueTicket});
    const Effects e = f.handle(ev::ChooseService{"KBH"});
    ASSERT_TRUE(holds_only<fx::IssueTicket>(e));
    ASSERT_TRUE(std::get<fx::IssueTicket>(e.front()).patient);
    EXPECT_EQ(std::get<fx::IssueTicket>(e.front()).patient->his_id, "his-42");

    // A walk-in ticket (no identification) is for nobody.
    Flow anon(Language::Vi);
    anon.handle(ev::TapFeature{Feature::QueueTicket});
    const Effects a = anon.handle(ev::ChooseService{"KBH"});
    ASSERT_TRUE(holds_only<fx::IssueTicket>(a));
    EXPECT_FALSE(std::get<fx::IssueTicket>(a.front()).patient);
}

// --- the HIS could not be asked ---------------------------------------------------------------------------

TEST(FlowIdentify, HisUnavailableIsItsOwnScreenWithoutRegistration) {
    Flow f(Language::Vi);
    const auto l = lookup_of(f.handle(ev::Scanned{kAnQr, kYear}));
    EXPECT_TRUE(no_effect(f.handle(ev::LookupDone{l.request, his_unavailable()})));
    EXPECT_EQ(f.screen(), Screen::HisUnavailable);
    EXPECT_STREQ(screen_name(f.screen()), "his_unavailable");
    EXPECT_FALSE(f.busy());
    EXPECT_TRUE(f.in_session());
    EXPECT_FALSE(f.session().patient);
    // No registration from here: it could be a second record of a patient the HIS knows.
    EXPECT_TRUE(no_effect(f.handle(ev::StartRegistration{})));
    EXPECT_EQ(f.screen(), Screen::HisUnavailable);
    EXPECT_TRUE(no_effect(f.handle(ev::SubmitRegistration{kYear})));
    EXPECT_EQ(f.screen(), Screen::HisUnavailable);
}

TEST(FlowIdentify, TryAgainAsksForTheSameNumberAgain) {
    Flow f(Language::Vi);
    const auto first = lookup_of(f.handle(ev::Scanned{kAnQr, kYear}));
    f.handle(ev::LookupDone{first.request, his_unavailable()});
    const auto again = lookup_of(f.handle(ev::Retry{}));
    EXPECT_EQ(f.screen(), Screen::LookingUp);
    EXPECT_EQ(again.kind, IdKind::Cccd);
    EXPECT_EQ(again.value, kAnCccd);
    EXPECT_NE(again.request, first.request);
    // A late answer to the first lookup changes nothing; the second one's answer counts.
    f.handle(ev::LookupDone{first.request, not_found()});
    EXPECT_EQ(f.screen(), Screen::LookingUp);
    f.handle(ev::LookupDone{again.request, not_found()});
    EXPECT_EQ(f.screen(), Screen::NotFound);
    // The card's details are still there for the registration the HIS's "nobody" now allows.
    f.handle(ev::StartRegistration{});
    EXPECT_EQ(f.registration().draft.full_name, "Nguyễn Văn An");
}

TEST(FlowIdentify, TryAgainAfterATypedBhytNumberAsksForThatNumber) {
    Flow f = on_keypad(IdKind::Bhyt);
    type(f, "0123456789"); // the last 10 digits of the card, as the hint says
    const auto first = lookup_of(f.handle(ev::SubmitNumber{kYear}));
    ASSERT_EQ(first.kind, IdKind::Bhyt);
    f.handle(ev::LookupDone{first.request, his_unavailable()});
    const auto again = lookup_of(f.handle(ev::Retry{}));
    EXPECT_EQ(again.kind, IdKind::Bhyt);
    EXPECT_EQ(again.value, first.value);
}

TEST(FlowIdentify, ReceptionDeskFromHisUnavailableForgetsThePatient) {
    Flow f(Language::Vi);
    const auto l = lookup_of(f.handle(ev::Scanned{kAnQr, kYear}));
    f.handle(ev::LookupDone{l.request, his_unavailable()});
    EXPECT_TRUE(no_effect(f.handle(ev::AskStaff{})));
    EXPECT_EQ(f.screen(), Screen::SeeStaff);
    EXPECT_TRUE(f.session().identity.cccd.empty());
    EXPECT_TRUE(f.session().identity.full_name.empty());
    f.handle(ev::Done{});
    EXPECT_EQ(f.screen(), Screen::Welcome);
    // AskStaff means nothing elsewhere.
    Flow other(Language::Vi);
    other.handle(ev::AskStaff{});
    EXPECT_EQ(other.screen(), Screen::Welcome);
}

TEST(FlowIdentify, BackFromHisUnavailableGoesToIdentifyAndForgets) {
    Flow f(Language::Vi);
    const auto l = lookup_of(f.handle(ev::Scanned{kAnQr, kYear}));
    f.handle(ev::LookupDone{l.request, his_unavailable()});
    f.handle(ev::Back{});
    EXPECT_EQ(f.screen(), Screen::Identify);
    EXPECT_TRUE(f.session().identity.full_name.empty());
}
