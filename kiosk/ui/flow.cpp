#include "kiosk/ui/flow.hpp"

#include "kiosk/core/bhyt.hpp"
#include "kiosk/core/cccd.hpp"
#include "kiosk/core/text.hpp"

#include <cstdio>
#include <utility>

namespace kiosk::ui {
namespace {
template <class... F> struct Overloaded : F... { using F::operator()...; };
template <class... F> Overloaded(F...) -> Overloaded<F...>;

// The text behind a field (the birth date is a date, not text: the callers handle it first).
template <class Details> auto& text_field(Details& d, Field f) {
    switch (f) {
    case Field::FullName:
        return d.full_name;
    case Field::Address:
        return d.address;
    case Field::Phone:
        return d.phone;
    case Field::Cccd:
        return d.cccd;
    case Field::Bhyt:
    case Field::BirthDate:
        break;
    }
    return d.bhyt;
}

std::string ddmmyyyy(const core::LocalDate& d) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02u%02u%04d", d.day, d.month, d.year);
    return buf;
}

std::size_t max_length(Field f) {
    return f == Field::FullName ? kMaxNameLength : kMaxAddressLength;
}

bool is_letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

} // namespace

const char* screen_name(Screen s) {
    switch (s) {
    case Screen::Welcome:
        return "welcome";
    case Screen::ChooseService:
        return "choose_service";
    case Screen::IssuingTicket:
        return "issuing_ticket";
    case Screen::TicketIssued:
        return "ticket";
    case Screen::TicketFailed:
        return "ticket_failed";
    case Screen::Identify:
        return "identify";
    case Screen::EnterNumber:
        return "enter_number";
    case Screen::LookingUp:
        return "looking_up";
    case Screen::Greeting:
        return "greeting";
    case Screen::NotFound:
        return "not_found";
    case Screen::SeeStaff:
        return "see_staff";
    case Screen::HisUnavailable:
        return "his_unavailable";
    case Screen::IdRejected:
        return "id_rejected";
    case Screen::Register:
        return "register";
    case Screen::EditField:
        return "edit_field";
    case Screen::Registering:
        return "registering";
    case Screen::RegisterFailed:
        return "register_failed";
    }
    return "?";
}

bool feature_available(Feature f) {
    return f == Feature::QueueTicket || f == Feature::Identify;
}

bool field_is_numeric(Field f) {
    return f != Field::FullName && f != Field::Address;
}

const char* field_name(Field f) {
    switch (f) {
    case Field::FullName:
        return "full_name";
    case Field::BirthDate:
        return "birth_date";
    case Field::Address:
        return "address";
    case Field::Phone:
        return "phone";
    case Field::Cccd:
        return "cccd";
    case Field::Bhyt:
        return "bhyt";
    }
    return "?";
}

std::string field_value(const core::PatientDetails& d, Field f) {
    if (f == Field::BirthDate) {
        if (!d.birth_date) return "";
        char buf[16];
        std::snprintf(buf, sizeof buf, "%02u/%02u/%04d", d.birth_date->day, d.birth_date->month,
                      d.birth_date->year);
        return buf;
    }
    return text_field(d, f);
}

Flow::Flow(Language default_language) : default_language_(default_language) {
    reset();
}

bool Flow::in_session() const {
    return state_.screen != Screen::Welcome || state_.language != default_language_;
}

bool Flow::busy() const {
    return state_.screen == Screen::IssuingTicket || state_.screen == Screen::LookingUp ||
           state_.screen == Screen::Registering;
}

void Flow::forget_patient() {
    core::wipe(state_.number_digits);
    core::wipe(state_.identity);
    core::wipe(state_.draft);
    if (state_.editor) {
        core::wipe(state_.editor->digits);
        state_.editor->text.clear();
    }
    state_.editor.reset();
    state_.patient.reset();
    state_.id_problem.reset();
    state_.draft_problem.reset();
    state_.draft_problem_field.reset();
    state_.his_offline = false;
}

void Flow::reset() {
    forget_patient();
    state_ = FlowState{};
    state_.language = default_language_;
}

Effect Flow::issue(std::string service_code) {
    state_.service_code = std::move(service_code);
    state_.request = next_request_++;
    state_.screen = Screen::IssuingTicket;
    std::optional<core::PatientRef> patient;
    if (state_.patient) patient = core::PatientRef{state_.patient->his_id, state_.patient->kiosk_patient_id};
    return fx::IssueTicket{state_.request, state_.service_code, std::move(patient)};
}

Effect Flow::lookup(IdKind kind, std::string value, core::PatientDetails identity) {
    forget_patient();
    state_.identity = std::move(identity);
    state_.number_kind = kind;
    state_.request = next_request_++;
    state_.screen = Screen::LookingUp;
    return fx::LookupPatient{state_.request, kind, std::move(value)};
}

Effect Flow::on_scan(const ev::Scanned& e) {
    if (busy()) return {};
    // A scan is a card held up on purpose: whatever was on screen, this (maybe other) patient starts over,
    // and nothing of the previous patient (their ticket included) stays behind.
    state_.ticket.reset();
    state_.service_code.clear();
    const auto qr = core::parse_cccd_qr(e.text, e.year);
    if (qr) {
        const core::PatientDetails d = core::details_from_qr(qr.value());
        return lookup(IdKind::Cccd, d.cccd, d);
    }
    if (qr.problem() == core::IdProblem::NotCccdQr) {
        // Some scanners read the number barcode, or a BHYT card code: take those too.
        if (const auto n = core::parse_cccd_number(e.text, e.year)) {
            core::PatientDetails d;
            d.cccd = n->digits;
            return lookup(IdKind::Cccd, n->digits, d);
        }
        // A BHYT card code alone, or the QR of a BHYT card (VssID), whose first '|' field is the card code.
        const std::string_view first = std::string_view(e.text).substr(0, e.text.find('|'));
        if (const auto b = core::parse_bhyt_number(first, e.year)) {
            core::PatientDetails d;
            d.bhyt = b->code;
            return lookup(IdKind::Bhyt, b->code, d);
        }
    }
    forget_patient();
    state_.id_problem = qr.problem();
    state_.screen = Screen::IdRejected;
    return {};
}

Effect Flow::on_unreadable_scan() {
    if (busy()) return {};
    // A card was held up but not read whole: as for any refused scan, the patient starts over.
    state_.ticket.reset();
    state_.service_code.clear();
    forget_patient();
    state_.id_problem = core::IdProblem::ScanIncomplete;
    state_.screen = Screen::IdRejected;
    return {};
}

Effect Flow::on_submit_number(int year) {
    if (state_.screen != Screen::EnterNumber) return {};
    core::PatientDetails d;
    std::string value;
    std::optional<core::IdProblem> problem;
    if (state_.number_kind == IdKind::Cccd) {
        const auto n = core::parse_cccd_number(state_.number_digits, year);
        if (n) {
            d.cccd = value = n->digits;
            d.sex = n->sex;
        } else {
            problem = n.problem();
        }
    } else {
        const auto b = core::parse_bhyt_number(state_.number_digits, year);
        if (b) {
            d.bhyt = value = b->code;
            if (b->form == core::BhytForm::PersonalId12) d.cccd = b->code;
        } else {
            problem = b.problem();
        }
    }
    if (problem) {
        // Stay on the keypad with the digits: one wrong key should not mean typing all twelve again.
        state_.id_problem = problem;
        return {};
    }
    return lookup(state_.number_kind, std::move(value), std::move(d));
}

void Flow::open_editor(Field field) {
    FieldEditor ed;
    ed.field = field;
    if (field == Field::BirthDate) {
        if (state_.draft.birth_date) ed.digits = ddmmyyyy(*state_.draft.birth_date);
    } else if (field_is_numeric(field)) {
        ed.digits = text_field(state_.draft, field);
    } else {
        ed.text = core::TelexComposer(text_field(state_.draft, field));
        ed.shift = ed.text.text().empty();
    }
    state_.editor = std::move(ed);
    state_.screen = Screen::EditField;
}

void Flow::on_key(char key) {
    if (state_.screen == Screen::EnterNumber) {
        if (key >= '0' && key <= '9' && state_.number_digits.size() < kMaxDigits) state_.number_digits += key;
        state_.id_problem.reset();
        return;
    }
    if (state_.screen != Screen::EditField || !state_.editor) return;
    FieldEditor& ed = *state_.editor;
    if (field_is_numeric(ed.field)) {
        const std::size_t cap = ed.field == Field::BirthDate ? 8 : kMaxDigits;
        if (key >= '0' && key <= '9' && ed.digits.size() < cap) ed.digits += key;
        return;
    }
    if (ed.text.length() >= max_length(ed.field)) return;
    char k = key;
    // Names are written with a capital on every word: the keyboard does it, like a phone's would.
    const std::string& t = ed.text.text();
    const bool word_start = t.empty() || t.back() == ' ';
    if (is_letter(k) && (ed.shift || (ed.field == Field::FullName && word_start)))
        k = static_cast<char>(k >= 'a' ? k - 'a' + 'A' : k);
    ed.text.type(k);
    if (is_letter(key)) ed.shift = false;
}

void Flow::on_erase() {
    if (state_.screen == Screen::EnterNumber) {
        if (!state_.number_digits.empty()) state_.number_digits.pop_back();
        state_.id_problem.reset();
        return;
    }
    if (state_.screen != Screen::EditField || !state_.editor) return;
    if (field_is_numeric(state_.editor->field)) {
        if (!state_.editor->digits.empty()) state_.editor->digits.pop_back();
    } else {
        state_.editor->text.backspace();
    }
}

void Flow::on_field_ok() {
    if (state_.screen != Screen::EditField || !state_.editor) return;
    FieldEditor& ed = *state_.editor;
    if (ed.field == Field::BirthDate) {
        if (ed.digits.empty()) {
            state_.draft.birth_date.reset();
        } else {
            const auto d = core::date_from_ddmmyyyy(ed.digits);
            if (!d) return; // the screen shows the date is not complete or not a real day
            state_.draft.birth_date = d;
        }
    } else if (field_is_numeric(ed.field)) {
        text_field(state_.draft, ed.field) = ed.digits;
    } else {
        // One space between words, none around them (as the QR's names come).
        std::string v;
        for (const char c : ed.text.text())
            if (c != ' ' || (!v.empty() && v.back() != ' ')) v += c;
        if (!v.empty() && v.back() == ' ') v.pop_back();
        text_field(state_.draft, ed.field) = std::move(v);
    }
    if (state_.draft_problem_field == ed.field) {
        state_.draft_problem_field.reset();
        state_.draft_problem.reset();
    }
    core::wipe(ed.digits);
    ed.text.clear();
    state_.editor.reset();
    state_.screen = Screen::Register;
}

Effect Flow::on_submit_registration(int year) {
    if (state_.screen != Screen::Register) return {};
    const core::PatientDetails& d = state_.draft;
    auto refuse = [&](Field f, std::optional<core::IdProblem> p) -> Effect {
        state_.draft_problem_field = f;
        state_.draft_problem = p;
        return {};
    };
    // Checked on a copy: a refused submit changes nothing the patient did not type.
    core::PatientDetails out = d;
    if (d.full_name.empty()) return refuse(Field::FullName, std::nullopt);
    if (!d.birth_date || d.birth_date->year > year) return refuse(Field::BirthDate, std::nullopt);
    if (d.cccd.empty() && d.bhyt.empty()) return refuse(Field::Cccd, core::IdProblem::Empty);
    if (!d.cccd.empty()) {
        const auto n = core::parse_cccd_number(d.cccd, year);
        if (!n) return refuse(Field::Cccd, n.problem());
        if (n->birth_year != d.birth_date->year) return refuse(Field::Cccd, core::IdProblem::QrDobMismatch);
        if (d.sex != core::Sex::Unknown && n->sex != d.sex)
            return refuse(Field::Cccd, core::IdProblem::QrSexMismatch);
        out.sex = n->sex;
    }
    if (!d.bhyt.empty()) {
        const auto b = core::parse_bhyt_number(d.bhyt, year);
        if (!b) return refuse(Field::Bhyt, b.problem());
        out.bhyt = b->code;
    }
    if (!d.phone.empty()) {
        const auto p = core::normalize_phone(d.phone);
        if (!p) return refuse(Field::Phone, std::nullopt);
        out.phone = *p;
    }
    state_.draft_problem_field.reset();
    state_.draft_problem.reset();
    state_.request = next_request_++;
    state_.screen = Screen::Registering;
    return fx::RegisterPatient{state_.request, std::move(out)};
}

Effect Flow::on_back() {
    switch (state_.screen) {
    case Screen::ChooseService:
        state_.service_code.clear();
        state_.screen = state_.patient ? Screen::Greeting : Screen::Welcome;
        break;
    case Screen::TicketFailed:
        state_.screen = Screen::Welcome;
        state_.service_code.clear();
        break;
    case Screen::Identify:
        forget_patient();
        state_.screen = Screen::Welcome;
        break;
    case Screen::EnterNumber:
    case Screen::NotFound:
    case Screen::HisUnavailable:
    case Screen::IdRejected:
    case Screen::Register:
        forget_patient();
        state_.screen = Screen::Identify;
        break;
    case Screen::EditField: // cancel: the field keeps its old value
        if (state_.editor) {
            core::wipe(state_.editor->digits);
            state_.editor->text.clear();
        }
        state_.editor.reset();
        state_.screen = Screen::Register;
        break;
    case Screen::RegisterFailed:
        state_.screen = Screen::Register;
        break;
    default:
        break;
    }
    return {};
}

Effect Flow::handle(const Event& event) {
    const Screen at = state_.screen;
    return std::visit(
        Overloaded{
            [&](const ev::TapFeature& e) -> Effect {
                if (!feature_available(e.feature)) return {};
                if (e.feature == Feature::QueueTicket && (at == Screen::Welcome || at == Screen::Greeting))
                    state_.screen = Screen::ChooseService;
                if (e.feature == Feature::Identify && at == Screen::Welcome) state_.screen = Screen::Identify;
                return {};
            },
            [&](const ev::ChooseService& e) -> Effect {
                if (at != Screen::ChooseService || e.code.empty()) return {};
                return issue(e.code);
            },
            [&](const ev::TicketStored& e) -> Effect {
                if (at != Screen::IssuingTicket || e.request != state_.request) return {};
                state_.ticket = e.ticket;
                state_.screen = Screen::TicketIssued;
                return {};
            },
            [&](const ev::TicketFailed& e) -> Effect {
                if (at != Screen::IssuingTicket || e.request != state_.request) return {};
                state_.screen = Screen::TicketFailed;
                return {};
            },
            [&](const ev::Back&) -> Effect { return on_back(); },
            [&](const ev::Retry&) -> Effect {
                if (at == Screen::TicketFailed) return issue(state_.service_code);
                if (at == Screen::IdRejected) return on_back();
                if (at == Screen::HisUnavailable) {
                    // The same number again (what the card or the keypad said is still here).
                    const IdKind kind = state_.number_kind;
                    std::string value = kind == IdKind::Cccd ? state_.identity.cccd : state_.identity.bhyt;
                    core::PatientDetails identity = state_.identity;
                    return lookup(kind, std::move(value), std::move(identity));
                }
                if (at == Screen::RegisterFailed) state_.screen = Screen::Register;
                return {};
            },
            [&](const ev::Done&) -> Effect {
                if (at == Screen::TicketIssued || at == Screen::TicketFailed || at == Screen::Greeting ||
                    at == Screen::SeeStaff || at == Screen::RegisterFailed || at == Screen::IdRejected)
                    reset();
                return {};
            },
            [&](const ev::AskStaff&) -> Effect {
                if (at != Screen::HisUnavailable) return {};
                forget_patient(); // staff at the desk start from the card, not from the kiosk
                state_.screen = Screen::SeeStaff;
                return {};
            },
            [&](const ev::IdleTimeout&) -> Effect {
                reset();
                return {};
            },
            [&](const ev::SetLanguage& e) -> Effect {
                state_.language = e.language;
                return {};
            },
            [&](const ev::Scanned& e) -> Effect { return on_scan(e); },
            [&](const ev::ScanUnreadable&) -> Effect { return on_unreadable_scan(); },
            [&](const ev::ChooseIdKind& e) -> Effect {
                if (at != Screen::Identify) return {};
                core::wipe(state_.number_digits);
                state_.id_problem.reset();
                state_.number_kind = e.kind;
                state_.screen = Screen::EnterNumber;
                return {};
            },
            [&](const ev::Key& e) -> Effect {
                on_key(e.key);
                return {};
            },
            [&](const ev::Erase&) -> Effect {
                on_erase();
                return {};
            },
            [&](const ev::Clear&) -> Effect {
                if (at == Screen::EnterNumber) {
                    core::wipe(state_.number_digits);
                    state_.id_problem.reset();
                } else if (at == Screen::EditField && state_.editor) {
                    core::wipe(state_.editor->digits);
                    state_.editor->text.clear();
                    state_.editor->shift = !field_is_numeric(state_.editor->field);
                }
                return {};
            },
            [&](const ev::Shift&) -> Effect {
                if (at == Screen::EditField && state_.editor) state_.editor->shift = !state_.editor->shift;
                return {};
            },
            [&](const ev::SubmitNumber& e) -> Effect { return on_submit_number(e.year); },
            [&](const ev::LookupDone& e) -> Effect {
                if (at != Screen::LookingUp || e.request != state_.request) return {};
                state_.his_offline = e.outcome.his_offline;
                switch (e.outcome.kind) {
                case LookupOutcome::Kind::Found:
                    core::wipe(state_.identity); // only a registration would need what the card said
                    state_.patient = e.outcome.patient;
                    state_.screen = Screen::Greeting;
                    break;
                case LookupOutcome::Kind::NotFound:
                    state_.screen = Screen::NotFound;
                    break;
                case LookupOutcome::Kind::Several:
                    state_.screen = Screen::SeeStaff;
                    break;
                case LookupOutcome::Kind::HisUnavailable:
                    state_.his_offline = true;
                    state_.screen = Screen::HisUnavailable;
                    break;
                }
                return {};
            },
            [&](const ev::StartRegistration&) -> Effect {
                if (at != Screen::NotFound) return {};
                state_.draft = state_.identity;
                state_.screen = Screen::Register;
                return {};
            },
            [&](const ev::EditField& e) -> Effect {
                if (at == Screen::Register) open_editor(e.field);
                return {};
            },
            [&](const ev::FieldOk&) -> Effect {
                on_field_ok();
                return {};
            },
            [&](const ev::SetSex& e) -> Effect {
                if (at == Screen::Register) state_.draft.sex = e.sex;
                return {};
            },
            [&](const ev::SubmitRegistration& e) -> Effect { return on_submit_registration(e.year); },
            [&](const ev::Registered& e) -> Effect {
                if (at != Screen::Registering || e.request != state_.request) return {};
                core::wipe(state_.identity);
                core::wipe(state_.draft);
                state_.patient = e.patient;
                state_.screen = Screen::Greeting;
                return {};
            },
            [&](const ev::RegistrationFailed& e) -> Effect {
                if (at != Screen::Registering || e.request != state_.request) return {};
                state_.screen = Screen::RegisterFailed;
                return {};
            },
        },
        event);
}

} // namespace kiosk::ui
