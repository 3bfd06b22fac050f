#pragma once
// Payment: the identified patient's unpaid bills from the HIS, one or all paid with a dynamic VietQR code,
// the HIS asked (quickly at first, then less often) until it marks them paid; then the receipt
// (docs/payments.md). The code is shown for a limited time; a bill cancelled meanwhile stops the payment.
#include "kiosk/core/payment.hpp"
#include "kiosk/ui/journey.hpp"

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::ui {

// How the kiosk takes payments ([payment] in the site config); the Flow offers Pay only with these.
struct PaymentSettings {
    core::PaymentAccount account;
    std::chrono::milliseconds code_valid = std::chrono::minutes(10);
    std::chrono::milliseconds poll_first = std::chrono::seconds(2);    // the first question to the HIS ...
    std::chrono::milliseconds poll_longest = std::chrono::seconds(15); // ... then less often, up to this
    // After the patient left, the kiosk asks about a waiting payment in the background this long.
    std::chrono::milliseconds watch_for = std::chrono::hours(24);
};

struct PaymentJourneyState {
    std::vector<core::Bill> bills;  // the payable bills shown, as the HIS listed them
    std::size_t unusable = 0;       // bills only the cashier can take payment for
    core::UnixMillis cached_at = 0; // BillsUnavailable: `bills` are what the HIS listed then (not payable)
    bool no_his_record = false;     // BillsUnavailable because the HIS does not know the patient yet
    std::optional<core::PaymentRequest> paying; // what the code on screen pays
    std::string payment_key;                    // its key in the payment ledger (fx::RecordPayment)
    std::string code;                           // its VietQR text
    core::UnixMillis expires_at = 0;            // wall clock: the countdown's end
    core::UnixMillis paid_at = 0;               // when the HIS was seen to have the payment
    int checks = 0;                             // questions asked about this code so far
    bool fetch_in_flight = false;
    std::string receipt_for;   // the bill number scanned for its receipt
    std::uint64_t request = 0; // the outstanding LoadBills or FindReceipt, or the code on screen (its checks)

    // True when "pay all" can be one code (more than one bill, and together they fit one).
    [[nodiscard]] bool can_pay_all() const;
};

class PaymentJourney final : public Journey {
public:
    static constexpr std::array<ScreenSpec, 10> kScreens{{
        {.screen = Screen::LoadingBills, .name = "loading_bills", .busy = true},
        {.screen = Screen::Bills, .name = "bills", .done_ends_session = true},
        {.screen = Screen::NoBills, .name = "no_bills", .done_ends_session = true},
        {.screen = Screen::BillsUnavailable, .name = "bills_unavailable", .done_ends_session = true},
        // The patient looks at their phone, not at the kiosk: the code's own countdown ends this screen.
        {.screen = Screen::PayByQr, .name = "pay_by_qr", .idle = Idle::Countdown},
        {.screen = Screen::PaymentReceived, .name = "payment_received", .done_ends_session = true},
        {.screen = Screen::PaymentExpired, .name = "payment_expired", .done_ends_session = true},
        {.screen = Screen::PaymentStopped, .name = "payment_stopped", .done_ends_session = true},
        {.screen = Screen::FindingReceipt, .name = "finding_receipt", .busy = true},
        {.screen = Screen::NoReceipt, .name = "no_receipt", .done_ends_session = true},
    }};

    explicit PaymentJourney(std::optional<PaymentSettings> settings) : settings_(std::move(settings)) {}

    [[nodiscard]] std::span<const ScreenSpec> screens() const override { return kScreens; }
    bool handle(const Event& event, Step& step) override;
    void reset() override;

    [[nodiscard]] const PaymentJourneyState& state() const { return state_; }
    [[nodiscard]] bool offered() const { return settings_.has_value(); }
    [[nodiscard]] const std::optional<PaymentSettings>& settings() const { return settings_; }

private:
    void load(Step& step);
    void pay(const ev::PayBills& e, Step& step);
    void check_due(const ev::PaymentCheckDue& e, Step& step);
    void checked(const ev::PaymentChecked& e, Step& step);
    void fetch(Step& step);
    bool on_scan(const ev::Scanned& e, Step& step);
    void next_check(core::UnixMillis now, Step& step);

    std::optional<PaymentSettings> settings_;
    PaymentJourneyState state_;
};

} // namespace kiosk::ui
