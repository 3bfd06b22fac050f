#pragma once
// The payments made at this kiosk (table payments of migration 8): each VietQR code shown, the bills it
// pays, and how it ended. A code still waiting when the patient left (expired, cancelled, walked away) is
// asked about in the background (sync::PaymentWatch) until its watch ends, so a payment that arrives late
// is recorded, and its receipt can be shown when the bill is scanned (docs/payments.md).
//
// Every write completes or throws StoreError and leaves the database as it was. Nothing here logs.
#include "kiosk/core/clock.hpp"
#include "kiosk/core/payment.hpp"
#include "kiosk/store/database.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::store {

struct PaymentRecord {
    enum class State {
        Waiting,     // the HIS has not said yet
        Paid,        // every bill balanced
        Stopped,     // a bill was cancelled or vanished before it was paid
        Unconfirmed, // the watch ended with the HIS never saying paid (the cashier sorts it out)
    };
    std::string key;
    std::string patient_his_id;
    core::PaymentRequest request; // bill ids and numbers, amount, reference (purpose is not kept)
    core::UnixMillis shown_at = 0;
    core::UnixMillis watch_until = 0;
    State state = State::Waiting;
    core::UnixMillis settled_at = 0; // 0 while waiting

    friend bool operator==(const PaymentRecord&, const PaymentRecord&) = default;
};

[[nodiscard]] const char* payment_state_name(PaymentRecord::State s); // "waiting", "paid", ...

class PaymentLedger {
public:
    explicit PaymentLedger(Database& db); // throws StoreError if the table is missing (not migrated)
    PaymentLedger(const PaymentLedger&) = delete;
    PaymentLedger& operator=(const PaymentLedger&) = delete;
    ~PaymentLedger();

    // A code was shown. A key recorded before is left as it is (the same effect run twice).
    void record(const std::string& key, const std::string& patient_his_id,
                const core::PaymentRequest& request, core::UnixMillis shown_at, core::UnixMillis watch_until);

    // The HIS says how it ended (Paid or Stopped). Only a waiting payment changes (a later answer never
    // undoes a receipt); returns whether it did. Throws std::invalid_argument for Waiting.
    bool settle(const std::string& key, PaymentRecord::State outcome, core::UnixMillis at);

    // Waiting payments whose watch has not ended at `now`, oldest first, at most `limit`.
    [[nodiscard]] std::vector<PaymentRecord> watched(core::UnixMillis now, int limit = 50) const;

    // Waiting payments whose watch ended before `now` become Unconfirmed; returns how many.
    int end_watches(core::UnixMillis now);

    // The newest paid payment that covered the bill with this number (for its receipt), if any.
    [[nodiscard]] std::optional<PaymentRecord> paid_for_bill(const std::string& bill_number) const;

    [[nodiscard]] std::optional<PaymentRecord> find(const std::string& key) const;

    // Forgets payments shown before cutoff that are no longer waiting; returns how many.
    int forget_older_than(core::UnixMillis cutoff);

    [[nodiscard]] std::int64_t count() const;

private:
    struct Statements;
    Database& db_;
    std::unique_ptr<Statements> st_;
};

} // namespace kiosk::store
