#include "kiosk/ui/journeys/identify.hpp"

#include "kiosk/core/bhyt.hpp"
#include "kiosk/core/cccd.hpp"
#include "kiosk/core/payment.hpp"

#include <string_view>
#include <utility>

namespace kiosk::ui {

void IdentifyJourney::reset() {
    core::wipe(state_.number_digits);
    state_ = {};
}

void IdentifyJourney::lookup(IdKind kind, std::string value, core::PatientDetails identity, Step& step) {
    // Whoever was identified before, this is who the kiosk asks about now.
    step.forget_patient(Step::Who::SamePatient);
    step.session.identity = std::move(identity);
    state_.number_kind = kind;
    state_.request = step.session.new_request();
    step.go(Screen::LookingUp);
    step.effect(fx::LookupPatient{state_.request, kind, std::move(value)});
}

bool IdentifyJourney::on_scan(const ev::Scanned& e, Step& step) {
    if (step.at.busy) return true;
    if (bills_scannable_ && core::is_bill_scan(e.text, e.year)) return false; // the payment journey's
    // A scan is a card held up on purpose: whatever was on screen, this (maybe other) patient starts over,
    // and nothing of the previous patient (their ticket included) stays behind.
    step.forget_patient(Step::Who::NextPatient);
    const auto qr = core::parse_cccd_qr(e.text, e.year);
    if (qr) {
        core::PatientDetails d = core::details_from_qr(qr.value());
        std::string cccd = d.cccd;
        lookup(IdKind::Cccd, std::move(cccd), std::move(d), step);
        return true;
    }
    if (qr.problem() == core::IdProblem::NotCccdQr) {
        // Some scanners read the number barcode, or a BHYT card code: take those too.
        if (const auto n = core::parse_cccd_number(e.text, e.year)) {
            core::PatientDetails d;
            d.cccd = n->digits;
            lookup(IdKind::Cccd, n->digits, std::move(d), step);
            return true;
        }
        // A BHYT card code alone, or the QR of a BHYT card (VssID), whose first '|' field is the card code.
        const std::string_view first = std::string_view(e.text).substr(0, e.text.find('|'));
        if (const auto b = core::parse_bhyt_number(first, e.year)) {
            core::PatientDetails d;
            d.bhyt = b->code;
            lookup(IdKind::Bhyt, b->code, std::move(d), step);
            return true;
        }
    }
    state_.id_problem = qr.problem();
    step.go(Screen::IdRejected);
    return true;
}

void IdentifyJourney::on_unreadable_scan(Step& step) {
    if (step.at.busy) return;
    // A card was held up but not read whole: as for any refused scan, the patient starts over.
    step.forget_patient(Step::Who::NextPatient);
    state_.id_problem = core::IdProblem::ScanIncomplete;
    step.go(Screen::IdRejected);
}

void IdentifyJourney::on_submit_number(int year, Step& step) {
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
        return;
    }
    lookup(state_.number_kind, std::move(value), std::move(d), step);
}

void IdentifyJourney::on_lookup_done(const ev::LookupDone& e, Step& step) {
    if (step.at.screen != Screen::LookingUp || e.request != state_.request) return;
    state_.his_offline = e.outcome.his_offline;
    switch (e.outcome.kind) {
    case LookupOutcome::Kind::Found:
        core::wipe(step.session.identity); // only a registration would need what the card said
        step.session.patient = e.outcome.patient;
        step.go(Screen::Greeting);
        break;
    case LookupOutcome::Kind::NotFound:
        step.go(Screen::NotFound);
        break;
    case LookupOutcome::Kind::Several:
        step.go(Screen::SeeStaff);
        break;
    case LookupOutcome::Kind::HisUnavailable:
        state_.his_offline = true;
        step.go(Screen::HisUnavailable);
        break;
    }
}

// The keypad of EnterNumber: digits only, up to kMaxDigits; any key clears the last refusal. Keys on other
// screens are not identification's (false).
bool IdentifyJourney::on_keypad(Screen at, const Event& event) {
    if (at != Screen::EnterNumber) return false;
    if (const auto* k = std::get_if<ev::Key>(&event)) {
        if (k->key >= '0' && k->key <= '9' && state_.number_digits.size() < kMaxDigits)
            state_.number_digits += k->key;
    } else if (std::holds_alternative<ev::Erase>(event)) {
        if (!state_.number_digits.empty()) state_.number_digits.pop_back();
    } else if (std::holds_alternative<ev::Clear>(event)) {
        core::wipe(state_.number_digits);
    } else {
        return true; // Shift: no meaning on the keypad
    }
    state_.id_problem.reset();
    return true;
}

bool IdentifyJourney::handle(const Event& event, Step& step) {
    const Screen at = step.at.screen;
    // Back to the start of identification: nothing typed or scanned stays.
    const auto start_over = [&](Screen to) {
        step.forget_patient(Step::Who::SamePatient);
        step.go(to);
    };
    return std::visit(Overloaded{
                          [&](const ev::TapFeature& e) {
                              if (e.feature != Feature::Identify) return false;
                              if (at == Screen::Welcome) step.go(Screen::Identify);
                              return true;
                          },
                          [&](const ev::Scanned& e) { return on_scan(e, step); },
                          [&](const ev::ScanUnreadable&) {
                              on_unreadable_scan(step);
                              return true;
                          },
                          [&](const ev::ChooseIdKind& e) {
                              if (at != Screen::Identify) return true;
                              core::wipe(state_.number_digits);
                              state_.id_problem.reset();
                              state_.number_kind = e.kind;
                              step.go(Screen::EnterNumber);
                              return true;
                          },
                          [&](const ev::Key&) { return on_keypad(at, event); },
                          [&](const ev::Erase&) { return on_keypad(at, event); },
                          [&](const ev::Clear&) { return on_keypad(at, event); },
                          [&](const ev::Shift&) { return on_keypad(at, event); },
                          [&](const ev::SubmitNumber& e) {
                              if (at == Screen::EnterNumber) on_submit_number(e.year, step);
                              return true;
                          },
                          [&](const ev::LookupDone& e) {
                              on_lookup_done(e, step);
                              return true;
                          },
                          [&](const ev::Back&) {
                              if (at == Screen::Identify) {
                                  start_over(Screen::Welcome);
                              } else if (at == Screen::EnterNumber || at == Screen::NotFound ||
                                         at == Screen::HisUnavailable || at == Screen::IdRejected) {
                                  start_over(Screen::Identify);
                              }
                              return owns(at);
                          },
                          [&](const ev::Retry&) {
                              if (at == Screen::IdRejected) {
                                  start_over(Screen::Identify);
                              } else if (at == Screen::HisUnavailable) {
                                  // The same number again (what the card or the keypad said is still here).
                                  const IdKind kind = state_.number_kind;
                                  core::PatientDetails identity = step.session.identity;
                                  std::string value = kind == IdKind::Cccd ? identity.cccd : identity.bhyt;
                                  lookup(kind, std::move(value), std::move(identity), step);
                              }
                              return owns(at);
                          },
                          [&](const ev::AskStaff&) {
                              if (at != Screen::HisUnavailable) return true;
                              step.forget_patient(
                                  Step::Who::SamePatient); // staff at the desk start from the card
                              step.go(Screen::SeeStaff);
                              return true;
                          },
                          [](const auto&) { return false; },
                      },
                      event);
}

} // namespace kiosk::ui
