#pragma once
// Payments still waiting when the patient left the kiosk (the code expired, Cancel, walked away): the HIS
// is asked about their bills in the background until each payment's watch ends, so a transfer that arrives
// late is recorded in the payment ledger (paid, or stopped when a bill was cancelled meanwhile), and the
// receipt can be shown when the bill is scanned later. What the watch never saw paid becomes unconfirmed
// (the cashier sorts it out with the bank statement). The HIS stays the truth: nothing here marks a bill.
#include "kiosk/his/invoice_search.hpp"
#include "kiosk/store/payment_ledger.hpp"

namespace kiosk::sync {

struct PaymentWatchPass {
    int asked = 0;            // payments asked about
    int paid = 0;             // of those, now paid
    int stopped = 0;          // of those, stopped (a bill cancelled or gone)
    int unconfirmed = 0;      // watches that ended
    bool his_answered = true; // false: the pass stopped at the first question the HIS did not answer
};

class PaymentWatch {
public:
    // Both must outlive the watch and be used on its thread only.
    PaymentWatch(store::Database& db, his::InvoiceSearch& invoices);

    // One pass: ends the watches due at `now`, then asks about each watched payment (oldest first, at most
    // kPerPass). Logs each late payment by its reference and amount (never a name or a patient id).
    // Throws StoreError when the ledger cannot be read or written.
    PaymentWatchPass pass(core::UnixMillis now);

    static constexpr int kPerPass = 50;

private:
    store::PaymentLedger ledger_;
    his::InvoiceSearch& invoices_;
};

} // namespace kiosk::sync
