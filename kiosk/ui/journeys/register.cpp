#include "kiosk/ui/journeys/register.hpp"

#include "kiosk/core/bhyt.hpp"
#include "kiosk/core/cccd.hpp"
#include "kiosk/ui/i18n.hpp"

#include <cstdio>
#include <utility>

namespace kiosk::ui {
namespace {

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

// The date as the keypad edits it: DDMMYYYY (core::date_from_ddmmyyyy reads it back).
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
    if (f == Field::BirthDate) return d.birth_date ? date_text(*d.birth_date) : "";
    return text_field(d, f);
}

void RegisterJourney::close_editor() {
    if (state_.editor) {
        core::wipe(state_.editor->digits);
        state_.editor->text.clear();
    }
    state_.editor.reset();
}

void RegisterJourney::reset() {
    core::wipe(state_.draft);
    close_editor();
    state_ = {};
}

void RegisterJourney::open_editor(Field field, Step& step) {
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
    step.go(Screen::EditField);
}

void RegisterJourney::on_key(char key) {
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

void RegisterJourney::on_erase() {
    FieldEditor& ed = *state_.editor;
    if (field_is_numeric(ed.field)) {
        if (!ed.digits.empty()) ed.digits.pop_back();
    } else {
        ed.text.backspace();
    }
}

void RegisterJourney::on_clear() {
    FieldEditor& ed = *state_.editor;
    core::wipe(ed.digits);
    ed.text.clear();
    ed.shift = !field_is_numeric(ed.field);
}

void RegisterJourney::on_field_ok(Step& step) {
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
    close_editor();
    step.go(Screen::Register);
}

void RegisterJourney::on_submit(int year, Step& step) {
    const core::PatientDetails& d = state_.draft;
    auto refuse = [&](Field f, std::optional<core::IdProblem> p) {
        state_.draft_problem_field = f;
        state_.draft_problem = p;
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
    state_.request = step.session.new_request();
    step.go(Screen::Registering);
    step.effect(fx::RegisterPatient{state_.request, std::move(out)});
}

bool RegisterJourney::handle(const Event& event, Step& step) {
    const Screen at = step.at.screen;
    const bool editing = at == Screen::EditField && state_.editor;
    return std::visit(Overloaded{
                          [&](const ev::StartRegistration&) {
                              // Only after the HIS's own "nobody": elsewhere it could be a second record of a
                              // patient.
                              if (at != Screen::NotFound) return false;
                              state_.draft = step.session.identity;
                              step.go(Screen::Register);
                              return true;
                          },
                          [&](const ev::EditField& e) {
                              if (at == Screen::Register) open_editor(e.field, step);
                              return at == Screen::Register;
                          },
                          [&](const ev::SetSex& e) {
                              if (at == Screen::Register) state_.draft.sex = e.sex;
                              return at == Screen::Register;
                          },
                          [&](const ev::SubmitRegistration& e) {
                              if (at == Screen::Register) on_submit(e.year, step);
                              return at == Screen::Register;
                          },
                          [&](const ev::Key& e) {
                              if (editing) on_key(e.key);
                              return editing;
                          },
                          [&](const ev::Erase&) {
                              if (editing) on_erase();
                              return editing;
                          },
                          [&](const ev::Clear&) {
                              if (editing) on_clear();
                              return editing;
                          },
                          [&](const ev::Shift&) {
                              if (editing) state_.editor->shift = !state_.editor->shift;
                              return editing;
                          },
                          [&](const ev::FieldOk&) {
                              if (editing) on_field_ok(step);
                              return editing;
                          },
                          [&](const ev::Registered& e) {
                              if (at != Screen::Registering || e.request != state_.request) return true;
                              core::wipe(step.session.identity);
                              core::wipe(state_.draft);
                              step.session.patient = e.patient;
                              step.go(Screen::Greeting);
                              return true;
                          },
                          [&](const ev::RegistrationFailed& e) {
                              if (at == Screen::Registering && e.request == state_.request)
                                  step.go(Screen::RegisterFailed);
                              return true;
                          },
                          [&](const ev::Back&) {
                              if (at == Screen::Register) {
                                  step.forget_patient(Step::Who::SamePatient);
                                  step.go(Screen::Identify);
                              } else if (at == Screen::EditField) { // cancel: the field keeps its old value
                                  close_editor();
                                  step.go(Screen::Register);
                              } else if (at == Screen::RegisterFailed) {
                                  step.go(Screen::Register);
                              }
                              return owns(at);
                          },
                          [&](const ev::Retry&) {
                              if (at == Screen::RegisterFailed) step.go(Screen::Register);
                              return owns(at);
                          },
                          [](const auto&) { return false; },
                      },
                      event);
}

} // namespace kiosk::ui
