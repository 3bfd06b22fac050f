#pragma once
// The patient flow as an explicit state machine: which screen is shown and what the app must do next.
// Pure C++ (no ImGui, no SQL): screens turn taps into Events, the app turns Effects into work.
#include "kiosk/core/identity.hpp"
#include "kiosk/core/telex.hpp"
#include "kiosk/core/ticket.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace kiosk::ui {

enum class Screen {
    Welcome,
    ChooseService,
    IssuingTicket,
    TicketIssued,
    TicketFailed,
    // Identification: scan the CCCD QR (on any screen) or type a CCCD/BHYT number.
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
    // Registration of a new patient.
    Register,       // the form (prefilled from the CCCD QR when scanned)
    EditField,      // one field with the on-screen keyboard (Telex) or keypad
    Registering,    // being stored
    RegisterFailed, // could not be stored
};
enum class Language { Vi, En };
enum class Feature { Identify, BookAppointment, CheckIn, QueueTicket, Pay };
enum class IdKind { Cccd, Bhyt };
// Fields of the registration form. Sex is chosen with two buttons, not edited.
enum class Field { FullName, BirthDate, Address, Phone, Cccd, Bhyt };

[[nodiscard]] const char* screen_name(Screen s); // "welcome", "choose_service", ...
[[nodiscard]] bool feature_available(Feature f); // false: shown as "coming soon"
[[nodiscard]] bool field_is_numeric(Field f);    // keypad (true) or Telex keyboard (false)
[[nodiscard]] const char* field_name(Field f);   // "full_name", ... (catalog keys "field.<name>")

// The patient the kiosk has identified (or just registered). Only the masked name is ever shown.
struct KnownPatient {
    std::string masked_name;      // "Nguyễn V*** A"
    std::string his_id;           // the HIS's Patient id, when the HIS knows the patient
    std::string kiosk_patient_id; // when registered at this kiosk and not yet confirmed by the HIS
    bool from_cache = false;      // the HIS could not be asked: the answer comes from the kiosk's cache
};

// What a lookup found (the app's answer to fx::LookupPatient).
struct LookupOutcome {
    // HisUnavailable: the HIS could not be asked and neither its cached answers nor the kiosk's
    // registrations know the number. NotFound is the HIS's own "nobody" (or, with no HIS configured, the
    // kiosk's records').
    enum class Kind { Found, NotFound, Several, HisUnavailable };
    Kind kind = Kind::NotFound;
    KnownPatient patient;     // Found
    bool his_offline = false; // Found/Several: the HIS could not be asked, only the cache was
};

// The field being edited: text through the Telex composer, digits through the keypad.
struct FieldEditor {
    Field field = Field::FullName;
    core::TelexComposer text;
    std::string digits;
    bool shift = false; // next letter upper-case (one-shot)
};

// Everything about the patient in front of the kiosk lives here and nowhere else, so one reset clears it
// (and wipes the personal data it held).
struct FlowState {
    Screen screen = Screen::Welcome;
    Language language = Language::Vi;
    std::string service_code;           // chosen service
    std::optional<core::Ticket> ticket; // the ticket just issued
    std::uint64_t request = 0;          // id of the outstanding work; stale results are ignored

    // Identification.
    IdKind number_kind = IdKind::Cccd; // what the keypad is for
    std::string number_digits;         // typed on the keypad
    std::optional<core::IdProblem> id_problem;
    core::PatientDetails identity; // what the scan or the number said (prefills the registration)
    std::optional<KnownPatient> patient;
    bool his_offline = false; // the last lookup could only ask the cache

    // Registration.
    core::PatientDetails draft;
    std::optional<Field> draft_problem_field; // the field the last submit refused
    std::optional<core::IdProblem> draft_problem;
    std::optional<FieldEditor> editor;
};

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
// A barcode scanner delivered this text (ScanDetector), on any screen. year: the current year, for the
// birth-year checks.
struct Scanned {
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
    std::uint64_t request;
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
    std::uint64_t request;
    KnownPatient patient;
};
struct RegistrationFailed {
    std::uint64_t request;
};
} // namespace ev

using Event =
    std::variant<ev::TapFeature, ev::ChooseService, ev::TicketStored, ev::TicketFailed, ev::Back, ev::Done,
                 ev::Retry, ev::AskStaff, ev::IdleTimeout, ev::SetLanguage, ev::Scanned, ev::ScanUnreadable,
                 ev::ChooseIdKind, ev::Key, ev::Erase, ev::Clear, ev::Shift, ev::SubmitNumber, ev::LookupDone,
                 ev::StartRegistration, ev::EditField, ev::FieldOk, ev::SetSex, ev::SubmitRegistration,
                 ev::Registered, ev::RegistrationFailed>;

namespace fx {
struct IssueTicket {
    std::uint64_t request;
    std::string service_code;
    std::optional<core::PatientRef> patient; // the patient identified before, if any
};
// Find the patient carrying this identifier: the kiosk's cache first, then the HIS.
struct LookupPatient {
    std::uint64_t request;
    IdKind kind;
    std::string value; // normalised CCCD or BHYT number
};
// Store the new patient and queue it for the HIS.
struct RegisterPatient {
    std::uint64_t request;
    core::PatientDetails details;
};
} // namespace fx

using Effect = std::variant<std::monostate, fx::IssueTicket, fx::LookupPatient, fx::RegisterPatient>;

// Longest text a registration field takes (characters as seen), and the keypad's longest number.
inline constexpr std::size_t kMaxNameLength = 80;
inline constexpr std::size_t kMaxAddressLength = 160;
inline constexpr std::size_t kMaxDigits = 15;

class Flow {
public:
    explicit Flow(Language default_language);

    // Applies one event; returns the work the app must start (if any). Events that make no sense in the
    // current state (a double tap, a late result after an idle reset) change nothing.
    Effect handle(const Event& event);

    [[nodiscard]] const FlowState& state() const { return state_; }
    [[nodiscard]] Screen screen() const { return state_.screen; }
    // True while a patient is mid-journey (the idle timer only runs then).
    [[nodiscard]] bool in_session() const;
    // True on screens that wait for work in flight (a scan is not taken then).
    [[nodiscard]] bool busy() const;

private:
    void reset();
    void forget_patient(); // wipes identification and registration data, keeps the language
    Effect issue(std::string service_code);
    Effect lookup(IdKind kind, std::string value, core::PatientDetails identity);
    Effect on_scan(const ev::Scanned& e);
    Effect on_unreadable_scan();
    Effect on_submit_number(int year);
    Effect on_submit_registration(int year);
    void on_key(char key);
    void on_erase();
    void on_field_ok();
    void open_editor(Field field);
    Effect on_back();

    Language default_language_;
    FlowState state_;
    std::uint64_t next_request_ = 1;
};

// The field's current value as the form shows it ("15/01/1990" for the birth date).
[[nodiscard]] std::string field_value(const core::PatientDetails& d, Field f);

} // namespace kiosk::ui
