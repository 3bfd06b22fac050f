#include "kiosk/ui/journeys/payment.hpp"

#include <algorithm>
#include <utility>

namespace kiosk::ui {

bool PaymentJourneyState::can_pay_all() const {
    return bills.size() > 1 && core::payment_for(bills).has_value();
}

void PaymentJourney::reset() {
    state_ = {};
}

void PaymentJourney::load(Step& step) {
    const std::uint64_t request = step.session.new_request();
    state_ = {};
    state_.request = request;
    const auto& patient = step.session.patient;
    if (!patient || patient->his_id.empty()) {
        // Registered at this kiosk and not yet in the HIS (or not identified): the HIS has no bills to show.
        state_.no_his_record = true;
        step.go(Screen::BillsUnavailable);
        return;
    }
    step.go(Screen::LoadingBills);
    step.effect(fx::LoadBills{request, patient->his_id});
}

void PaymentJourney::pay(const ev::PayBills& e, Step& step) {
    std::vector<core::Bill> chosen;
    if (e.index) {
        if (*e.index >= state_.bills.size()) return;
        chosen.push_back(state_.bills[*e.index]);
    } else {
        if (!state_.can_pay_all()) return;
        chosen = state_.bills;
    }
    auto request = core::payment_for(chosen);
    if (!request) return; // the screen offers only what can be paid
    core::vietqr::Built built = core::payment_code(*request, settings_->account);
    if (built.refusal) { // not reached with a checked config and bills read by the HIS adapter
        step.go(Screen::BillsUnavailable);
        return;
    }
    state_.paying = std::move(request);
    state_.code = std::move(built.text);
    state_.expires_at = e.now + settings_->code_valid.count();
    state_.paid_at = 0;
    state_.checks = 0;
    state_.fetch_in_flight = false;
    state_.request = step.session.new_request();
    // Unique per code: the request number is unique in this run, the time across runs.
    state_.payment_key = std::to_string(e.now) + "-" + std::to_string(state_.request);
    step.go(Screen::PayByQr);
    step.effect(fx::RecordPayment{state_.payment_key,
                                  step.session.patient ? step.session.patient->his_id : "", *state_.paying,
                                  e.now, e.now + settings_->watch_for.count()});
    next_check(e.now, step);
}

void PaymentJourney::fetch(Step& step) {
    if (state_.fetch_in_flight || !state_.paying) return; // one question at a time
    state_.fetch_in_flight = true;
    step.effect(fx::FetchPaymentStatus{state_.request, state_.paying->bill_ids});
}

void PaymentJourney::check_due(const ev::PaymentCheckDue& e, Step& step) {
    if (step.at.screen != Screen::PayByQr || e.request != state_.request) return;
    if (e.now >= state_.expires_at) {
        // One last question: a payment made in the code's last seconds still shows its receipt.
        step.go(Screen::PaymentExpired);
        fetch(step);
        return;
    }
    fetch(step);
    // The next question is planned now, whatever this one's answer: a HIS that never answers cannot stop
    // the countdown.
    ++state_.checks;
    next_check(e.now, step);
}

// The next question after the backing-off delay, and never after the code's end: the countdown reaching
// 0:00 ends the screen then, not at the next poll.
void PaymentJourney::next_check(core::UnixMillis now, Step& step) {
    const auto poll = core::poll_delay(state_.checks, settings_->poll_first, settings_->poll_longest);
    const auto left = std::chrono::milliseconds(std::max<core::UnixMillis>(0, state_.expires_at - now));
    step.effect(fx::CheckPaymentIn{state_.request, std::min(poll, left)});
}

void PaymentJourney::checked(const ev::PaymentChecked& e, Step& step) {
    const Screen at = step.at.screen;
    if (e.request != state_.request || (at != Screen::PayByQr && at != Screen::PaymentExpired)) return;
    state_.fetch_in_flight = false;
    if (!e.answered || !state_.paying) return;
    std::vector<core::Bill::Status> statuses;
    for (const std::string& id : state_.paying->bill_ids) {
        const auto it =
            std::find_if(e.bills.begin(), e.bills.end(), [&](const core::Bill& b) { return b.his_id == id; });
        statuses.push_back(it == e.bills.end() ? core::Bill::Status::Cancelled : it->status);
    }
    switch (core::payment_state(statuses)) {
    case core::PaymentState::Paid:
        state_.paid_at = e.at;
        step.go(Screen::PaymentReceived);
        step.effect(fx::SettlePayment{state_.payment_key, true, e.at});
        break;
    case core::PaymentState::Cancelled:
        step.go(Screen::PaymentStopped);
        step.effect(fx::SettlePayment{state_.payment_key, false, e.at});
        break;
    case core::PaymentState::Waiting:
        break;
    }
}

// A bill scanned (its printed number code) on any screen that takes scans: its receipt, when this kiosk
// recorded its payment. A patient's card is identification's.
bool PaymentJourney::on_scan(const ev::Scanned& e, Step& step) {
    if (!settings_ || step.at.busy || !core::is_bill_scan(e.text, e.year)) return false;
    step.forget_patient(Step::Who::NextPatient);
    state_.receipt_for = e.text;
    state_.request = step.session.new_request();
    step.go(Screen::FindingReceipt);
    step.effect(fx::FindReceipt{state_.request, e.text});
    return true;
}

bool PaymentJourney::handle(const Event& event, Step& step) {
    const Screen at = step.at.screen;
    return std::visit(Overloaded{
                          [&](const ev::TapFeature& e) {
                              if (e.feature != Feature::Pay || !settings_) return false;
                              if (at == Screen::Welcome && !step.session.patient)
                                  step.go(Screen::Identify); // bills belong to someone: who first
                              else if (at == Screen::Welcome || at == Screen::Greeting)
                                  load(step);
                              return true;
                          },
                          [&](const ev::BillsLoaded& e) {
                              if (at != Screen::LoadingBills || e.request != state_.request) return true;
                              state_.unusable = e.unusable;
                              if (!e.answered) {
                                  // What the HIS listed last, to see and not to pay: one paid at the
                                  // cashier since would be paid twice.
                                  state_.bills = e.cached_at != 0 ? e.bills : std::vector<core::Bill>{};
                                  state_.cached_at = e.cached_at;
                                  step.go(Screen::BillsUnavailable);
                              } else if (e.bills.empty()) {
                                  step.go(Screen::NoBills);
                              } else {
                                  state_.bills = e.bills;
                                  step.go(Screen::Bills);
                              }
                              return true;
                          },
                          [&](const ev::PayBills& e) {
                              if (at == Screen::Bills) pay(e, step);
                              return true;
                          },
                          [&](const ev::PaymentCheckDue& e) {
                              check_due(e, step);
                              return true;
                          },
                          [&](const ev::PaymentChecked& e) {
                              checked(e, step);
                              return true;
                          },
                          [&](const ev::Scanned& e) { return on_scan(e, step); },
                          [&](const ev::ReceiptFound& e) {
                              if (at != Screen::FindingReceipt || e.request != state_.request) return true;
                              if (e.paid) {
                                  state_.paying = e.paid;
                                  state_.paid_at = e.paid_at;
                                  step.go(Screen::PaymentReceived);
                              } else {
                                  step.go(Screen::NoReceipt);
                              }
                              return true;
                          },
                          [&](const ev::Back&) {
                              if (!owns(at)) return false;
                              if (at == Screen::PayByQr || at == Screen::PaymentExpired) {
                                  load(step); // the bills as the HIS has them now: a paid one is gone
                              } else if (at == Screen::Bills || at == Screen::NoBills ||
                                         at == Screen::BillsUnavailable || at == Screen::PaymentStopped ||
                                         at == Screen::NoReceipt) {
                                  state_ = {};
                                  step.go(step.session.patient ? Screen::Greeting : Screen::Welcome);
                              }
                              return true;
                          },
                          [&](const ev::Retry&) {
                              if (!owns(at)) return false;
                              if (at == Screen::BillsUnavailable && !state_.no_his_record) load(step);
                              return true;
                          },
                          [](const auto&) { return false; },
                      },
                      event);
}

} // namespace kiosk::ui
