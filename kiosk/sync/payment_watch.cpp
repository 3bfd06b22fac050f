#include "kiosk/sync/payment_watch.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace kiosk::sync {

PaymentWatch::PaymentWatch(store::Database& db, his::InvoiceSearch& invoices)
    : ledger_(db), invoices_(invoices) {}

PaymentWatchPass PaymentWatch::pass(core::UnixMillis now) {
    PaymentWatchPass p;
    p.unconfirmed = ledger_.end_watches(now);
    if (p.unconfirmed > 0)
        spdlog::warn("{} payment(s) shown at the kiosk were never confirmed by the HIS within their watch: "
                     "check them against the bank statement",
                     p.unconfirmed);
    for (const store::PaymentRecord& r : ledger_.watched(now, kPerPass)) {
        if (r.request.bill_ids.empty()) continue;
        const his::BillsAnswer a = invoices_.bills_by_id(r.request.bill_ids);
        ++p.asked;
        if (a.problem != his::LookupProblem::None) {
            p.his_answered = false; // the next pass asks again
            break;
        }
        std::vector<core::Bill::Status> statuses;
        for (const std::string& id : r.request.bill_ids) {
            const auto it = std::find_if(a.bills.begin(), a.bills.end(),
                                         [&](const core::Bill& b) { return b.his_id == id; });
            statuses.push_back(it == a.bills.end() ? core::Bill::Status::Cancelled : it->status);
        }
        switch (core::payment_state(statuses)) {
        case core::PaymentState::Paid:
            if (ledger_.settle(r.key, store::PaymentRecord::State::Paid, now)) {
                ++p.paid;
                spdlog::info(
                    "payment {} ({}, {} VND) arrived after the patient left the kiosk: recorded as paid",
                    r.key, r.request.reference, r.request.amount_vnd);
            }
            break;
        case core::PaymentState::Cancelled:
            if (ledger_.settle(r.key, store::PaymentRecord::State::Stopped, now)) {
                ++p.stopped;
                spdlog::warn("payment {} ({}): a bill was cancelled or removed in the HIS before it was paid",
                             r.key, r.request.reference);
            }
            break;
        case core::PaymentState::Waiting:
            break;
        }
    }
    return p;
}

} // namespace kiosk::sync
