#include "kiosk/store/outbox.hpp"

#include "kiosk/store/statement.hpp"

#include <string>
#include <utility>

namespace kiosk::store {
namespace {

// The columns read_entry() reads, in its order.
constexpr const char* kEntryColumns = "o.id, o.aggregate_type, o.aggregate_id, o.operation, o.identifier, "
                                      "o.payload, o.created_at, o.attempts, o.next_attempt_at, o.last_error";

// "No older row of the same aggregate is still in the outbox": the row is the head of its aggregate's
// queue. The outbox_aggregate index (aggregate_type, aggregate_id, rowid) answers it with one seek.
constexpr const char* kIsHeadOfItsAggregate = "NOT EXISTS (SELECT 1 FROM outbox AS older "
                                              "WHERE older.aggregate_type = o.aggregate_type "
                                              "AND older.aggregate_id = o.aggregate_id AND older.id < o.id)";

OutboxEntry read_entry(const detail::Statement& s) {
    OutboxEntry e;
    e.id = s.column_int64(0);
    e.aggregate_type = s.column_text(1);
    e.aggregate_id = s.column_text(2);
    e.operation = s.column_text(3);
    e.identifier = s.column_text(4);
    e.payload_json = s.column_text(5);
    e.created_at = s.column_int64(6);
    e.attempts = static_cast<int>(s.column_int64(7));
    e.next_attempt_at = s.column_int64(8);
    e.last_error = s.column_text(9); // NULL (never failed) reads as ""
    return e;
}

std::vector<OutboxEntry> read_entries(detail::Statement& s) {
    std::vector<OutboxEntry> entries;
    while (s.step())
        entries.push_back(read_entry(s));
    return entries;
}

} // namespace

struct Outbox::Statements {
    explicit Statements(const Database& db)
        : peek(db, std::string("SELECT ") + kEntryColumns + " FROM outbox AS o ORDER BY o.id LIMIT ?1"),
          due(db, std::string("SELECT ") + kEntryColumns +
                      " FROM outbox AS o WHERE o.next_attempt_at <= ?1 AND " + kIsHeadOfItsAggregate +
                      " ORDER BY o.id LIMIT ?2"),
          next_due_at(db, std::string("SELECT min(o.next_attempt_at) FROM outbox AS o WHERE ") +
                              kIsHeadOfItsAggregate),
          count(db, "SELECT count(*) FROM outbox"), acknowledge(db, "DELETE FROM outbox WHERE id = ?1"),
          retry_later(db, "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3 "
                          "WHERE id = ?1"),
          copy_to_dead(db, "INSERT INTO outbox_dead (outbox_id, aggregate_type, aggregate_id, operation, "
                           "identifier, payload, created_at, attempts, failed_at, reason) "
                           "SELECT id, aggregate_type, aggregate_id, operation, identifier, payload, "
                           "created_at, attempts + 1, ?2, ?3 FROM outbox WHERE id = ?1"),
          remove(db, "DELETE FROM outbox WHERE id = ?1"),
          dead_letters(db,
                       "SELECT id, outbox_id, aggregate_type, aggregate_id, operation, identifier, payload, "
                       "created_at, attempts, failed_at, reason FROM outbox_dead ORDER BY id DESC LIMIT ?1"),
          dead_count(db, "SELECT count(*) FROM outbox_dead") {}

    detail::Statement peek;
    detail::Statement due;
    detail::Statement next_due_at;
    detail::Statement count;
    detail::Statement acknowledge;
    detail::Statement retry_later;
    detail::Statement copy_to_dead;
    detail::Statement remove;
    detail::Statement dead_letters;
    detail::Statement dead_count;
};

Outbox::Outbox(Database& db) : db_(db), st_(std::make_unique<Statements>(db)) {}

Outbox::~Outbox() = default;

std::vector<OutboxEntry> Outbox::peek(int limit) const {
    if (limit <= 0) return {};
    auto& s = st_->peek;
    const auto reset = s.scoped();
    s.bind_int64(1, limit);
    return read_entries(s);
}

std::int64_t Outbox::count() const {
    auto& s = st_->count;
    const auto reset = s.scoped();
    if (!s.step()) return 0;
    return s.column_int64(0);
}

std::vector<OutboxEntry> Outbox::due(core::UnixMillis now, int limit) const {
    if (limit <= 0) return {};
    auto& s = st_->due;
    const auto reset = s.scoped();
    s.bind_int64(1, now).bind_int64(2, limit);
    return read_entries(s);
}

std::optional<core::UnixMillis> Outbox::next_due_at() const {
    auto& s = st_->next_due_at;
    const auto reset = s.scoped();
    // An aggregate query always yields one row; min() over no rows is NULL.
    if (!s.step() || s.column_is_null(0)) return std::nullopt;
    return s.column_int64(0);
}

void Outbox::record(const Results& results, core::UnixMillis now) {
    if (results.delivered.empty() && results.retry.empty() && results.refused.empty()) return;
    detail::Transaction tx(db_);
    for (const std::int64_t id : results.delivered) {
        auto& s = st_->acknowledge;
        const auto reset = s.scoped();
        s.bind_int64(1, id);
        s.run();
    }
    for (const auto& r : results.retry) {
        auto& s = st_->retry_later;
        const auto reset = s.scoped();
        s.bind_int64(1, r.id).bind_int64(2, r.next_attempt_at).bind_text(3, r.error);
        s.run();
    }
    for (const auto& r : results.refused) {
        {
            auto& s = st_->copy_to_dead;
            const auto reset = s.scoped();
            s.bind_int64(1, r.id).bind_int64(2, now).bind_text(3, r.reason);
            s.run();
        }
        auto& s = st_->remove;
        const auto reset = s.scoped();
        s.bind_int64(1, r.id);
        s.run();
    }
    tx.commit();
}

void Outbox::acknowledge(const std::vector<std::int64_t>& ids) {
    try {
        record(Results{ids, {}, {}}, 0);
    } catch (const std::exception& e) {
        throw StoreError("could not acknowledge " + std::to_string(ids.size()) +
                         " outbox rows (none was deleted): " + e.what());
    }
}

void Outbox::retry_later(std::int64_t id, core::UnixMillis next_attempt_at, const std::string& error) {
    record(Results{{}, {{id, next_attempt_at, error}}, {}}, 0);
}

void Outbox::quarantine(std::int64_t id, const std::string& reason, core::UnixMillis now) {
    try {
        record(Results{{}, {}, {{id, reason}}}, now);
    } catch (const std::exception& e) {
        throw StoreError("could not quarantine outbox row " + std::to_string(id) +
                         " (it stays in the outbox, no dead letter was written): " + e.what());
    }
}

std::vector<DeadLetter> Outbox::dead_letters(int limit) const {
    std::vector<DeadLetter> letters;
    if (limit <= 0) return letters;
    auto& s = st_->dead_letters;
    const auto reset = s.scoped();
    s.bind_int64(1, limit);
    while (s.step()) {
        DeadLetter d;
        d.id = s.column_int64(0);
        d.outbox_id = s.column_int64(1);
        d.aggregate_type = s.column_text(2);
        d.aggregate_id = s.column_text(3);
        d.operation = s.column_text(4);
        d.identifier = s.column_text(5);
        d.payload_json = s.column_text(6);
        d.created_at = s.column_int64(7);
        d.attempts = static_cast<int>(s.column_int64(8));
        d.failed_at = s.column_int64(9);
        d.reason = s.column_text(10);
        letters.push_back(std::move(d));
    }
    return letters;
}

std::int64_t Outbox::dead_count() const {
    auto& s = st_->dead_count;
    const auto reset = s.scoped();
    if (!s.step()) return 0;
    return s.column_int64(0);
}

} // namespace kiosk::store
