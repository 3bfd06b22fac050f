#pragma once
// Queue ticket now: choose a service, the ticket is stored (and later printed), show it.
#include "kiosk/ui/journey.hpp"

#include <array>
#include <optional>
#include <string>

namespace kiosk::ui {

struct QueueTicketState {
    std::string service_code;           // chosen service
    std::optional<core::Ticket> ticket; // the ticket just issued
    std::uint64_t request = 0;          // the outstanding IssueTicket
};

class QueueTicketJourney final : public Journey {
public:
    static constexpr std::array<ScreenSpec, 4> kScreens{{
        {.screen = Screen::ChooseService, .name = "choose_service"},
        {.screen = Screen::IssuingTicket, .name = "issuing_ticket", .busy = true},
        {.screen = Screen::TicketIssued, .name = "ticket", .done_ends_session = true},
        {.screen = Screen::TicketFailed, .name = "ticket_failed", .done_ends_session = true},
    }};

    [[nodiscard]] std::span<const ScreenSpec> screens() const override { return kScreens; }
    bool handle(const Event& event, Step& step) override;
    void reset() override;

    [[nodiscard]] const QueueTicketState& state() const { return state_; }

private:
    void issue(std::string service_code, Step& step);

    QueueTicketState state_;
};

} // namespace kiosk::ui
