#pragma once
// The vocabulary of the patient flow: its screens, the events screens and workers send it, and the
// effects (work) it asks of the app. Pure C++ (no ImGui, no SQL).
#include "kiosk/core/identity.hpp"
#include "kiosk/core/known_patient.hpp"
#include "kiosk/core/text.hpp"
#include "kiosk/core/ticket.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

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
} // namespace ev

// One variant at the flow's boundary; each journey handles its own subset of it.
using Event =
    std::variant<ev::TapFeature, ev::ChooseService, ev::TicketStored, ev::TicketFailed, ev::Back, ev::Done,
                 ev::Retry, ev::AskStaff, ev::IdleTimeout, ev::SetLanguage, ev::SetAccessMode, ev::Scanned,
                 ev::ScanUnreadable, ev::ChooseIdKind, ev::Key, ev::Erase, ev::Clear, ev::Shift,
                 ev::SubmitNumber, ev::LookupDone, ev::StartRegistration, ev::EditField, ev::FieldOk,
                 ev::SetSex, ev::SubmitRegistration, ev::Registered, ev::RegistrationFailed>;

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
} // namespace fx

using Effect = std::variant<fx::IssueTicket, fx::LookupPatient, fx::RegisterPatient, fx::ForgetPatient>;

} // namespace kiosk::ui
