#include "kiosk/ui/flow.hpp"

#include <utility>

namespace kiosk::ui {
namespace {
template <class... F> struct Overloaded : F... { using F::operator()...; };
template <class... F> Overloaded(F...) -> Overloaded<F...>;
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
    }
    return "?";
}

bool feature_available(Feature f) {
    return f == Feature::QueueTicket;
}

Flow::Flow(Language default_language) : default_language_(default_language) {
    reset();
}

bool Flow::in_session() const {
    return state_.screen != Screen::Welcome || state_.language != default_language_;
}

void Flow::reset() {
    state_ = FlowState{};
    state_.language = default_language_;
}

Effect Flow::issue(std::string service_code) {
    state_.service_code = std::move(service_code);
    state_.request = next_request_++;
    state_.screen = Screen::IssuingTicket;
    return fx::IssueTicket{state_.request, state_.service_code};
}

Effect Flow::handle(const Event& event) {
    const Screen at = state_.screen;
    return std::visit(Overloaded{
                          [&](const ev::TapFeature& e) -> Effect {
                              if (at == Screen::Welcome && e.feature == Feature::QueueTicket &&
                                  feature_available(e.feature))
                                  state_.screen = Screen::ChooseService;
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
                          [&](const ev::Back&) -> Effect {
                              // Back keeps the chosen language: the same patient is still there.
                              if (at == Screen::ChooseService || at == Screen::TicketFailed) {
                                  state_.screen = Screen::Welcome;
                                  state_.service_code.clear();
                              }
                              return {};
                          },
                          [&](const ev::Retry&) -> Effect {
                              if (at != Screen::TicketFailed) return {};
                              return issue(state_.service_code);
                          },
                          [&](const ev::Done&) -> Effect {
                              if (at == Screen::TicketIssued || at == Screen::TicketFailed) reset();
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
                      },
                      event);
}

} // namespace kiosk::ui
