#pragma once
// Bills and their payment by VietQR: what the patient owes (the HIS's Invoices), what one payment covers
// and the code a banking app reads for it. Pure: the HIS adapter reads the Invoices, the store keeps them
// and the payments, the flow shows them (docs/payments.md).
#include "kiosk/core/clock.hpp"
#include "kiosk/core/vietqr.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiosk::core {

// One bill as the HIS keeps it (FHIR Invoice). Amounts are whole đồng, never floating point.
struct Bill {
    enum class Status {
        Payable,   // FHIR "issued": the patient owes it
        Paid,      // FHIR "balanced"
        Cancelled, // FHIR "cancelled" or "entered-in-error": nobody owes it
        Draft,     // FHIR "draft": not final yet, not payable at the kiosk
    };
    std::string his_id;      // Invoice.id
    std::string number;      // the bill number the hospital reconciles with (Invoice.identifier value)
    std::string description; // what it is for, as the HIS says it ("Khám bệnh", "Xét nghiệm máu")
    std::int64_t amount_vnd = 0;
    Status status = Status::Payable;
    UnixMillis issued_at = 0; // Invoice.date; 0 when the HIS gave none

    friend bool operator==(const Bill&, const Bill&) = default;
};

[[nodiscard]] std::string_view bill_status_name(Bill::Status s); // "payable", "paid", ...

// Where the hospital receives payments ([payment] in the site config).
struct PaymentAccount {
    std::string bin;     // the bank's 6-digit NAPAS BIN
    std::string account; // account or card number
    vietqr::Service service = vietqr::Service::ToAccount;
    std::string account_name; // the account holder as the bank shows it ("BENH VIEN DA KHOA ...")
    std::string bank_name;    // the bank's short name from the NAPAS member list ("Vietcombank")
};

// What one VietQR payment covers: one bill, or several paid together.
struct PaymentRequest {
    std::vector<std::string> bill_ids;     // Invoice ids, in the order shown
    std::vector<std::string> bill_numbers; // their numbers
    std::int64_t amount_vnd = 0;
    std::string reference; // ID 62-01: what the hospital's bank statement shows to reconcile
    std::string purpose;   // ID 62-08: the transfer's message, ASCII
};

// The bill-number field's limit in a VietQR code (EMVCo: 25 characters).
inline constexpr std::size_t kMaxPaymentReference = 25;

// A bill number as a VietQR code and a bank statement carry it: 1-25 of A-Z a-z 0-9 - . / _ (no spaces).
[[nodiscard]] bool is_bill_number(std::string_view s);

// A scan that is a bill's number (for its receipt), not a patient's card: a bill number with at least one
// character other than a digit (a number of digits alone is taken for an ID number, even a mistyped one)
// that no CCCD or BHYT parser takes.
[[nodiscard]] bool is_bill_scan(std::string_view text, int current_year);

// The payment for `bills` (all Payable, at least one, each with a number of A-Z 0-9 - . / _ only):
// the amount is their sum; the reference is the bill's number, or several joined by '+' ("HD1+HD2").
// nullopt when that cannot be one code: no bill, a bill not payable, a bad number, an amount over
// 13 digits, or a reference over 25 characters (then the bills are paid one by one).
// Purpose: "Thanh toan vien phi <reference>" when that fits 25 characters, else "Vien phi <reference>",
// else the reference itself.
[[nodiscard]] std::optional<PaymentRequest> payment_for(const std::vector<Bill>& bills);

// The dynamic VietQR code of `request` to `account` (vietqr::build's refusal when it cannot be built).
[[nodiscard]] vietqr::Built payment_code(const PaymentRequest& request, const PaymentAccount& account);

// What the HIS says about a payment's bills, bill by bill.
enum class PaymentState {
    Waiting,   // at least one bill still payable
    Paid,      // every bill paid
    Cancelled, // a bill was cancelled (or vanished) before it was paid: the payment cannot complete
};
[[nodiscard]] PaymentState payment_state(const std::vector<Bill::Status>& statuses);

// How often to ask the HIS whether a payment arrived: quickly at first (patients pay in seconds), then
// less often. attempt 0 is the first poll after the code was shown.
[[nodiscard]] std::chrono::milliseconds poll_delay(int attempt, std::chrono::milliseconds first,
                                                   std::chrono::milliseconds longest);

} // namespace kiosk::core
