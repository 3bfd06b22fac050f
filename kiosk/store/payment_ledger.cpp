#include "kiosk/store/payment_ledger.hpp"

#include "kiosk/store/statement.hpp"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <stdexcept>

namespace kiosk::store {
namespace {

constexpr const char* kColumns = "key, patient_his_id, bill_ids, bill_numbers, reference, amount_vnd, "
                                 "shown_at, watch_until, state, settled_at";

std::string json_list(const std::vector<std::string>& items) {
    return nlohmann::json(items).dump();
}

std::vector<std::string> list_of(const std::string& text) {
    const auto j = nlohmann::json::parse(text, nullptr, false);
    std::vector<std::string> out;
    if (!j.is_array()) return out;
    for (const auto& item : j)
        if (item.is_string()) out.push_back(item.get<std::string>());
    return out;
}

PaymentRecord::State state_of(const std::string& name) {
    if (name == "paid") return PaymentRecord::State::Paid;
    if (name == "stopped") return PaymentRecord::State::Stopped;
    if (name == "unconfirmed") return PaymentRecord::State::Unconfirmed;
    return PaymentRecord::State::Waiting;
}

// A row of kColumns.
PaymentRecord read_row(const detail::Statement& s) {
    PaymentRecord r;
    r.key = s.column_text(0);
    r.patient_his_id = s.column_text(1);
    r.request.bill_ids = list_of(s.column_text(2));
    r.request.bill_numbers = list_of(s.column_text(3));
    r.request.reference = s.column_text(4);
    r.request.amount_vnd = s.column_int64(5);
    r.shown_at = s.column_int64(6);
    r.watch_until = s.column_int64(7);
    r.state = state_of(s.column_text(8));
    r.settled_at = s.column_is_null(9) ? 0 : s.column_int64(9);
    return r;
}

std::string select(const std::string& rest) {
    return std::string("SELECT ") + kColumns + " FROM payments " + rest;
}

} // namespace

const char* payment_state_name(PaymentRecord::State s) {
    switch (s) {
    case PaymentRecord::State::Waiting:
        return "waiting";
    case PaymentRecord::State::Paid:
        return "paid";
    case PaymentRecord::State::Stopped:
        return "stopped";
    case PaymentRecord::State::Unconfirmed:
        return "unconfirmed";
    }
    return "waiting";
}

struct PaymentLedger::Statements {
    explicit Statements(const Database& db)
        : insert(db,
                 "INSERT INTO payments (key, patient_his_id, bill_ids, bill_numbers, reference, amount_vnd, "
                 "shown_at, watch_until, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'waiting') "
                 "ON CONFLICT (key) DO NOTHING"),
          settle(db, "UPDATE payments SET state = ?2, settled_at = ?3 WHERE key = ?1 AND state = 'waiting'"),
          watched(db, select("WHERE state = 'waiting' AND watch_until > ?1 ORDER BY shown_at, key LIMIT ?2")),
          end_watches(db, "UPDATE payments SET state = 'unconfirmed', settled_at = ?1 "
                          "WHERE state = 'waiting' AND watch_until <= ?1"),
          paid_for(db, select("WHERE state = 'paid' AND EXISTS (SELECT 1 FROM json_each(bill_numbers) "
                              "WHERE value = ?1) ORDER BY settled_at DESC LIMIT 1")),
          find(db, select("WHERE key = ?1")),
          forget(db, "DELETE FROM payments WHERE shown_at < ?1 AND state <> 'waiting'"),
          count(db, "SELECT count(*) FROM payments") {}

    detail::Statement insert;
    detail::Statement settle;
    detail::Statement watched;
    detail::Statement end_watches;
    detail::Statement paid_for;
    detail::Statement find;
    detail::Statement forget;
    detail::Statement count;
};

PaymentLedger::PaymentLedger(Database& db) : db_(db), st_(std::make_unique<Statements>(db)) {}

PaymentLedger::~PaymentLedger() = default;

void PaymentLedger::record(const std::string& key, const std::string& patient_his_id,
                           const core::PaymentRequest& request, core::UnixMillis shown_at,
                           core::UnixMillis watch_until) {
    auto& s = st_->insert;
    const auto reset = s.scoped();
    s.bind_text(1, key)
        .bind_text(2, patient_his_id)
        .bind_text(3, json_list(request.bill_ids))
        .bind_text(4, json_list(request.bill_numbers))
        .bind_text(5, request.reference)
        .bind_int64(6, request.amount_vnd)
        .bind_int64(7, shown_at)
        .bind_int64(8, watch_until);
    s.run();
}

bool PaymentLedger::settle(const std::string& key, PaymentRecord::State outcome, core::UnixMillis at) {
    if (outcome == PaymentRecord::State::Waiting)
        throw std::invalid_argument("PaymentLedger::settle: a payment cannot settle as waiting");
    auto& s = st_->settle;
    const auto reset = s.scoped();
    s.bind_text(1, key).bind_text(2, payment_state_name(outcome)).bind_int64(3, at);
    s.run();
    return sqlite3_changes64(db_.handle()) > 0;
}

std::vector<PaymentRecord> PaymentLedger::watched(core::UnixMillis now, int limit) const {
    auto& s = st_->watched;
    const auto reset = s.scoped();
    s.bind_int64(1, now).bind_int64(2, limit);
    std::vector<PaymentRecord> out;
    while (s.step())
        out.push_back(read_row(s));
    return out;
}

int PaymentLedger::end_watches(core::UnixMillis now) {
    auto& s = st_->end_watches;
    const auto reset = s.scoped();
    s.bind_int64(1, now);
    s.run();
    return static_cast<int>(sqlite3_changes64(db_.handle()));
}

std::optional<PaymentRecord> PaymentLedger::paid_for_bill(const std::string& bill_number) const {
    auto& s = st_->paid_for;
    const auto reset = s.scoped();
    s.bind_text(1, bill_number);
    if (!s.step()) return std::nullopt;
    return read_row(s);
}

std::optional<PaymentRecord> PaymentLedger::find(const std::string& key) const {
    auto& s = st_->find;
    const auto reset = s.scoped();
    s.bind_text(1, key);
    if (!s.step()) return std::nullopt;
    return read_row(s);
}

int PaymentLedger::forget_older_than(core::UnixMillis cutoff) {
    auto& s = st_->forget;
    const auto reset = s.scoped();
    s.bind_int64(1, cutoff);
    s.run();
    return static_cast<int>(sqlite3_changes64(db_.handle()));
}

std::int64_t PaymentLedger::count() const {
    auto& s = st_->count;
    const auto reset = s.scoped();
    s.step();
    return s.column_int64(0);
}

} // namespace kiosk::store
