#pragma once
// The vocabulary of the patient flow: its screens, the events screens and workers send it, and the
// effects (work) it asks of the app. Pure C++ (no ImGui, no SQL).
#include "kiosk/core/identity.hpp"
#include "kiosk/core/known_patient.hpp"
#include "kiosk/core/payment.hpp"
#include "kiosk/core/text.hpp"
#include "kiosk/core/ticket.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace kiosk::ui {

// The domain's answer types, named here for the events that carry them.
using core::IdKind;
using core::KnownPatient;
using core::LookupOutcome;

// Every screen, grouped by the journey that owns it (its file lists the screen's name, idle policy and
// drawing). A journey added later adds its screens here.
enum class Screen {
    Welcome, // the flow's home
    // Queue ticket now (journeys/queue_ticket).
    ChooseService,
    IssuingTicket,
    TicketIssued,
    TicketFailed,
    // Identification (journeys/identify): scan the CCCD QR (on any screen) or type a CCCD/BHYT number.
    Identify,    // "scan your card or type your number"
    EnterNumber, // numeric keypad
    LookingUp,   // waiting for the local cache / the HIS
    Greeting,    // the patient is known: "Xin chào, Nguyễn V*** A"
    NotFound,    // nobody with this identifier: offer registration
    SeeStaff,    // several patients carry this identifier: staff must sort it out
    // The HIS could not be asked (no answer in time, or it refused the query) and the kiosk's own records
    // do not know the number: try again or see the reception desk. No registration here: the HIS may know
    // the patient, and a kiosk registration would then be a second record of them.
    HisUnavailable,
    IdRejected, // the scan or the number was refused (IdProblem), with a plain message
    // Registration of a new patient (journeys/register).
    Register,       // the form (prefilled from the CCCD QR when scanned)
    EditField,      // one field with the on-screen keyboard (Telex) or keypad
    Registering,    // being stored
    RegisterFailed, // could not be stored
    // Payment of the patient's bills by VietQR (journeys/payment).
    LoadingBills,     // asking the HIS for the patient's unpaid bills
    Bills,            // the unpaid bills: pay one, or all together
    NoBills,          // nothing to pay
    BillsUnavailable, // the HIS could not be asked, or it has no record of the patient yet
    PayByQr,          // the VietQR code, the amount, the receiving account and a countdown
    PaymentReceived,  // the HIS says every bill of the payment is paid: the receipt
    PaymentExpired,   // the code's time ran out before the payment arrived
    PaymentStopped,   // a bill was cancelled or changed in the HIS meanwhile: see the cashier
    FindingReceipt,   // a bill was scanned: looking for its payment in the kiosk's ledger
    NoReceipt,        // no payment of that bill is recorded at this kiosk
};
enum class Language { Vi, En };
// How the screens present themselves to this patient. Only Standard exists on screen today; the session
// keeps the choice and resets it with the rest (later issues draw Assisted and LargeText).
enum class AccessMode { Standard, Assisted, LargeText };
enum class Feature { Identify, BookAppointment, CheckIn, QueueTicket, Pay };
// Fields of the registration form. Sex is chosen with two buttons, not edited.
enum class Field { FullName, BirthDate, Address, Phone, Cccd, Bhyt };

namespace ev {
struct TapFeature {
    Feature feature;
};
struct ChooseService {
    std::string code;
};
struct TicketStored {
    std::uint64_t request;
    core::Ticket ticket;
};
struct TicketFailed {
    std::uint64_t request;
};
struct Back {};
struct Done {};
struct Retry {};
struct AskStaff {}; // "go to the reception desk" (when the kiosk cannot help further)
struct IdleTimeout {};
struct SetLanguage {
    Language language;
};
struct SetAccessMode { // kept for the session (no screen offers it yet)
    AccessMode mode;
};
// A barcode scanner delivered this text (ScanDetector), on any screen. year: the current year, for the
// birth-year checks. The text is the patient's card: every copy of the event wipes its text when it is
// destroyed or moved from, so handing the event around leaves no copy of the QR behind.
struct Scanned {
    Scanned(std::string_view scanned, int current_year) : text(scanned), year(current_year) {}
    Scanned(const Scanned&) = default;
    Scanned(Scanned&& other) noexcept : text(std::move(other.text)), year(other.year) {
        core::wipe(other.text);
    }
    Scanned& operator=(const Scanned& other) {
        if (this != &other) {
            core::wipe(text);
            text = other.text;
            year = other.year;
        }
        return *this;
    }
    Scanned& operator=(Scanned&& other) noexcept {
        if (this != &other) {
            core::wipe(text);
            text = std::move(other.text);
            core::wipe(other.text);
            year = other.year;
        }
        return *this;
    }
    ~Scanned() { core::wipe(text); }

    std::string text;
    int year;
};
struct ScanUnreadable {}; // a scan arrived but was cut or had no Enter (ScanDetector::take_unreadable)
struct ChooseIdKind {     // "type my CCCD number" / "type my BHYT number"
    IdKind kind;
};
struct Key { // a key of the on-screen keypad or keyboard: digits, letters, space, punctuation
    char key;
};
struct Erase {};      // backspace
struct Clear {};      // empty the number or field being typed
struct Shift {};      // next letter upper-case
struct SubmitNumber { // OK on the keypad
    int year;
};
struct LookupDone {
    std::uint64_t request = 0;
    LookupOutcome outcome;
};
struct StartRegistration {};
struct EditField {
    Field field;
};
struct FieldOk {};
struct SetSex {
    core::Sex sex;
};
struct SubmitRegistration {
    int year;
};
struct Registered {
    std::uint64_t request = 0;
    KnownPatient patient;
};
struct RegistrationFailed {
    std::uint64_t request;
};
// The HIS's answer to fx::LoadBills.
struct BillsLoaded {
    std::uint64_t request = 0;
    bool answered = false;         // false: the HIS could not be asked, or refused the question
    std::vector<core::Bill> bills; // the payable ones
    std::size_t unusable = 0;      // bills the kiosk cannot take payment for (the cashier can)
    // Not answered: the bills the HIS listed at this time, to show, not to pay; 0: none known.
    core::UnixMillis cached_at = 0;
};
// "Pay this bill" (index into the bills shown) or "pay all" (nullopt). now: the wall clock, for the code's
// countdown.
struct PayBills {
    std::optional<std::size_t> index;
    core::UnixMillis now = 0;
};
// Time to ask the HIS again whether the payment arrived (the app's timer for fx::CheckPaymentIn).
struct PaymentCheckDue {
    std::uint64_t request = 0;
    core::UnixMillis now = 0;
};
// The HIS's answer to fx::FetchPaymentStatus: the payment's bills as it has them now.
struct PaymentChecked {
    std::uint64_t request = 0;
    bool answered = false;
    std::vector<core::Bill> bills; // a bill the HIS no longer has is absent
    core::UnixMillis at = 0;       // when the answer came (the receipt's time)
};
// The kiosk's ledger's answer to fx::FindReceipt: the payment that paid the bill, if any.
struct ReceiptFound {
    std::uint64_t request = 0;
    std::optional<core::PaymentRequest> paid;
    core::UnixMillis paid_at = 0;
};
} // namespace ev

// One variant at the flow's boundary; each journey handles its own subset of it.
using Event =
    std::variant<ev::TapFeature, ev::ChooseService, ev::TicketStored, ev::TicketFailed, ev::Back, ev::Done,
                 ev::Retry, ev::AskStaff, ev::IdleTimeout, ev::SetLanguage, ev::SetAccessMode, ev::Scanned,
                 ev::ScanUnreadable, ev::ChooseIdKind, ev::Key, ev::Erase, ev::Clear, ev::Shift,
                 ev::SubmitNumber, ev::LookupDone, ev::StartRegistration, ev::EditField, ev::FieldOk,
                 ev::SetSex, ev::SubmitRegistration, ev::Registered, ev::RegistrationFailed, ev::BillsLoaded,
                 ev::PayBills, ev::PaymentCheckDue, ev::PaymentChecked, ev::ReceiptFound>;

namespace fx {
struct IssueTicket {
    std::uint64_t request = 0;
    std::string service_code;
    std::optional<core::PatientRef> patient; // the patient identified before, if any
};
// Find the patient carrying this identifier: the kiosk's cache first, then the HIS.
struct LookupPatient {
    std::uint64_t request = 0;
    IdKind kind = IdKind::Cccd;
    std::string value; // normalised CCCD or BHYT number
};
// Store the new patient and queue it for the HIS.
struct RegisterPatient {
    std::uint64_t request = 0;
    core::PatientDetails details;
};
// The flow forgot the patient in front of the kiosk (their session ended, or another card was scanned):
// the app forgets what it holds of them too (the scanner's buffers, the screens' memory).
struct ForgetPatient {};
// Ask the HIS for the unpaid bills of the patient it knows as `patient_his_id` (FHIR Patient id).
struct LoadBills {
    std::uint64_t request = 0;
    std::string patient_his_id;
};
// Deliver ev::PaymentCheckDue{request} after `delay` (one timer: a newer request replaces it).
struct CheckPaymentIn {
    std::uint64_t request = 0;
    std::chrono::milliseconds delay{0};
};
// Ask the HIS how these bills stand now (ev::PaymentChecked).
struct FetchPaymentStatus {
    std::uint64_t request = 0;
    std::vector<std::string> bill_ids;
};
// Keep the code just shown in the kiosk's payment ledger: if the patient leaves before the HIS says paid,
// the kiosk goes on asking in the background until watch_until.
struct RecordPayment {
    std::string key; // unique per code shown
    std::string patient_his_id;
    core::PaymentRequest request;
    core::UnixMillis shown_at = 0;
    core::UnixMillis watch_until = 0;
};
// How the code's payment ended, as the HIS said it.
struct SettlePayment {
    std::string key;
    bool paid = false; // false: stopped (a bill cancelled or gone)
    core::UnixMillis at = 0;
};
// Look up the payment of the bill with this number in the kiosk's ledger (ev::ReceiptFound).
struct FindReceipt {
    std::uint64_t request = 0;
    std::string bill_number;
};
} // namespace fx

using Effect = std::variant<fx::IssueTicket, fx::LookupPatient, fx::RegisterPatient, fx::ForgetPatient,
                            fx::LoadBills, fx::CheckPaymentIn, fx::FetchPaymentStatus, fx::RecordPayment,
                            fx::SettlePayment, fx::FindReceipt>;

} // namespace kiosk::ui
