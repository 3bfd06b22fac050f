#include "kiosk/core/payment.hpp"

#include "kiosk/core/bhyt.hpp"
#include "kiosk/core/cccd.hpp"

#include <algorithm>

namespace kiosk::core {
namespace {

constexpr std::int64_t kMaxAmount = 9'999'999'999'999; // 13 digits (ID 54)

} // namespace

bool is_bill_number(std::string_view s) {
    if (s.empty() || s.size() > kMaxPaymentReference) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
               c == '.' || c == '/' || c == '_';
    });
}

std::string_view bill_status_name(Bill::Status s) {
    switch (s) {
    case Bill::Status::Payable:
        return "payable";
    case Bill::Status::Paid:
        return "paid";
    case Bill::Status::Cancelled:
        return "cancelled";
    case Bill::Status::Draft:
        return "draft";
    }
    return "?";
}

bool is_bill_scan(std::string_view text, int current_year) {
    if (!is_bill_number(text)) return false;
    if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
    return !parse_bhyt_number(text, current_year) && !parse_cccd_number(text, current_year);
}

std::optional<PaymentRequest> payment_for(const std::vector<Bill>& bills) {
    if (bills.empty()) return std::nullopt;
    PaymentRequest r;
    for (const Bill& b : bills) {
        if (b.status != Bill::Status::Payable || b.amount_vnd <= 0 || !is_bill_number(b.number))
            return std::nullopt;
        if (b.amount_vnd > kMaxAmount - r.amount_vnd) return std::nullopt;
        r.amount_vnd += b.amount_vnd;
        if (!r.reference.empty()) r.reference += '+';
        r.reference += b.number;
        r.bill_ids.push_back(b.his_id);
        r.bill_numbers.push_back(b.number);
    }
    if (r.reference.size() > kMaxPaymentReference) return std::nullopt;
    for (const char* prefix : {"Thanh toan vien phi ", "Vien phi ", ""}) {
        std::string purpose = prefix + r.reference;
        if (purpose.size() <= kMaxPaymentReference) {
            r.purpose = std::move(purpose);
            break;
        }
    }
    return r;
}

vietqr::Built payment_code(const PaymentRequest& request, const PaymentAccount& account) {
    vietqr::Payment p;
    p.initiation = vietqr::Initiation::Dynamic;
    p.bin = account.bin;
    p.account = account.account;
    p.service = account.service;
    p.amount_vnd = request.amount_vnd;
    p.bill_number = request.reference;
    p.purpose = request.purpose;
    return vietqr::build(p);
}

PaymentState payment_state(const std::vector<Bill::Status>& statuses) {
    if (statuses.empty()) return PaymentState::Cancelled;
    bool waiting = false;
    for (const Bill::Status s : statuses) {
        if (s == Bill::Status::Cancelled || s == Bill::Status::Draft) return PaymentState::Cancelled;
        if (s == Bill::Status::Payable) waiting = true;
    }
    return waiting ? PaymentState::Waiting : PaymentState::Paid;
}

std::chrono::milliseconds poll_delay(int attempt, std::chrono::milliseconds first,
                                     std::chrono::milliseconds longest) {
    std::chrono::milliseconds d = first;
    for (int i = 0; i < attempt && d < longest; ++i)
        d = d + d / 2; // x1.5 each time
    return std::min(d, longest);
}

} // namespace kiosk::core
