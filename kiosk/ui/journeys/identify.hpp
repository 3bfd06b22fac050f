#pragma once
// Identification: scan the CCCD QR (on any screen) or type a CCCD/BHYT number, look the patient up, greet
// them or say why not. Who the patient is goes to the Session (patient, identity); the rest stays here.
#include "kiosk/ui/journey.hpp"

#include <array>
#include <optional>
#include <string>

namespace kiosk::ui {

struct IdentifyState {
    IdKind number_kind = IdKind::Cccd; // what the keypad is for
    std::string number_digits;         // typed on the keypad
    std::optional<core::IdProblem> id_problem;
    bool his_offline = false;  // the last lookup could only ask the cache
    std::uint64_t request = 0; // the outstanding LookupPatient
};

class IdentifyJourney final : public Journey {
public:
    static constexpr std::array<ScreenSpec, 8> kScreens{{
        {.screen = Screen::Identify, .name = "identify"},
        {.screen = Screen::EnterNumber, .name = "enter_number"},
        {.screen = Screen::LookingUp, .name = "looking_up", .busy = true},
        {.screen = Screen::Greeting, .name = "greeting", .done_ends_session = true},
        {.screen = Screen::NotFound, .name = "not_found"},
        {.screen = Screen::SeeStaff, .name = "see_staff", .done_ends_session = true},
        {.screen = Screen::HisUnavailable, .name = "his_unavailable"},
        {.screen = Screen::IdRejected, .name = "id_rejected", .done_ends_session = true},
    }};

    // bills_scannable: a scanned bill number is the payment journey's (core::is_bill_scan), not refused here.
    explicit IdentifyJourney(bool bills_scannable = false) : bills_scannable_(bills_scannable) {}

    [[nodiscard]] std::span<const ScreenSpec> screens() const override { return kScreens; }
    bool handle(const Event& event, Step& step) override;
    void reset() override;

    [[nodiscard]] const IdentifyState& state() const { return state_; }

private:
    void lookup(IdKind kind, std::string value, core::PatientDetails identity, Step& step);
    bool on_scan(const ev::Scanned& e, Step& step);
    void on_unreadable_scan(Step& step);
    void on_submit_number(int year, Step& step);
    void on_lookup_done(const ev::LookupDone& e, Step& step);
    bool on_keypad(Screen at, const Event& event);

    bool bills_scannable_ = false;
    IdentifyState state_;
};

} // namespace kiosk::ui
