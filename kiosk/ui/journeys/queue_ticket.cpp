#include "kiosk/ui/journeys/queue_ticket.hpp"

#include <utility>

namespace kiosk::ui {

void QueueTicketJourney::reset() {
    // The ticket names the patient it was issued for (their HIS or kiosk id).
    if (state_.ticket && state_.ticket->patient) {
        core::wipe(state_.ticket->patient->his_id);
        core::wipe(state_.ticket->patient->kiosk_patient_id);
    }
    state_ = {};
}

void QueueTicketJourney::issue(std::string service_code, Step& step) {
    state_.service_code = std::move(service_code);
    state_.request = step.session.new_request();
    step.go(Screen::IssuingTicket);
    std::optional<core::PatientRef> patient;
    if (const auto& p = step.session.patient) patient = core::PatientRef{p->his_id, p->kiosk_patient_id};
    step.effect(fx::IssueTicket{state_.request, state_.service_code, std::move(patient)});
}

bool QueueTicketJourney::handle(const Event& event, Step& step) {
    const Screen at = step.at.screen;
    return std::visit(Overloaded{
                          [&](const ev::TapFeature& e) {
                              // From the home screen, or for the patient just greeted.
                              if (e.feature != Feature::QueueTicket ||
                                  (at != Screen::Welcome && at != Screen::Greeting))
                                  return false;
                              step.go(Screen::ChooseService);
                              return true;
                          },
                          [&](const ev::ChooseService& e) {
                              if (at == Screen::ChooseService && !e.code.empty()) issue(e.code, step);
                              return true;
                          },
                          [&](const ev::TicketStored& e) {
                              if (at != Screen::IssuingTicket || e.request != state_.request) return true;
                              state_.ticket = e.ticket;
                              step.go(Screen::TicketIssued);
                              return true;
                          },
                          [&](const ev::TicketFailed& e) {
                              if (at == Screen::IssuingTicket && e.request == state_.request)
                                  step.go(Screen::TicketFailed);
                              return true;
                          },
                          [&](const ev::Back&) {
                              if (!owns(at)) return false;
                              if (at == Screen::ChooseService) {
                                  state_.service_code.clear();
                                  step.go(step.session.patient ? Screen::Greeting : Screen::Welcome);
                              } else if (at == Screen::TicketFailed) {
                                  state_.service_code.clear();
                                  step.go(Screen::Welcome);
                              }
                              return true;
                          },
                          [&](const ev::Retry&) {
                              if (!owns(at)) return false;
                              if (at == Screen::TicketFailed) issue(state_.service_code, step);
                              return true;
                          },
                          [](const auto&) { return false; },
                      },
                      event);
}

} // namespace kiosk::ui
