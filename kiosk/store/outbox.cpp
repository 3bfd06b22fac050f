#include "kiosk/store/outbox.hpp"

#include "kiosk/store/statement.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <utility>

namespace kiosk::store {
namespace {

// The columns read_entry() reads, in its order.
constexpr const char* kEntryColumns = "o.id, o.aggregate_type, o.aggregate_id, o.operation, o.identifier, "
                                      "o.payload, o.created_at, o.attempts, o.next_attempt_at, o.last_error, "
                                      "o.depends_on, d.resource";
// The rows with what the HIS called the record each depends on (once delivered).
constexpr const char* kEntriesFrom =
    " FROM outbox AS o LEFT JOIN outbox_delivered AS d ON d.outbox_id = o.depends_on";

// The record the row depends on, if any, is no longer in the outbox (delivered, or forgotten).
constexpr const char* kDependencyDone =
    "NOT EXISTS (SELECT 1 FROM outbox AS dep WHERE dep.id = o.depends_on)";

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
    if (!s.column_is_null(10)) e.depends_on = s.column_int64(10);
    e.depends_on_resource = s.column_text(11);
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
        : peek(db, std::string("SELECT ") + kEntryColumns + kEntriesFrom + " ORDER BY o.id LIMIT ?1"),
          due(db, std::string("SELECT ") + kEntryColumns + kEntriesFrom +
                      " WHERE o.next_attempt_at <= ?1 AND " + kIsHeadOfItsAggregate + " AND " +
                      kDependencyDone + " ORDER BY o.id LIMIT ?2"),
          next_due_at(db, std::string("SELECT min(o.next_attempt_at) FROM outbox AS o WHERE ") +
                              kIsHeadOfItsAggregate + " AND " + kDependencyDone),
          count(db, "SELECT count(*) FROM outbox"),
          insert(db, "INSERT INTO outbox (aggregate_type, aggregate_id, operation, identifier, payload, "
                     "created_at, depends_on) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id"),
          dependency_refused(db, "SELECT 1 FROM outbox_dead WHERE outbox_id = ?1"),
          find_waiting(db, "SELECT max(id) FROM outbox WHERE aggregate_type = ?1 AND aggregate_id = ?2"),
          find_delivered(db, "SELECT max(outbox_id) FROM outbox_delivered "
                             "WHERE aggregate_type = ?1 AND aggregate_id = ?2"),
          find_dead(db,
                    "SELECT max(outbox_id) FROM outbox_dead WHERE aggregate_type = ?1 AND aggregate_id = ?2"),
          keep_delivered(db, "INSERT INTO outbox_delivered (outbox_id, aggregate_type, aggregate_id, "
                             "identifier, resource, delivered_at) "
                             "SELECT id, aggregate_type, aggregate_id, identifier, ?2, ?3 FROM outbox "
                             "WHERE id = ?1 ON CONFLICT (outbox_id) DO NOTHING"),
          acknowledge(db, "DELETE FROM outbox WHERE id = ?1"),
          retry_later(db, "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3 "
                          "WHERE id = ?1"),
          copy_to_dead(db, "INSERT INTO outbox_dead (outbox_id, aggregate_type, aggregate_id, operation, "
                           "identifier, payload, created_at, attempts, failed_at, reason, depends_on) "
                           "SELECT id, aggregate_type, aggregate_id, operation, identifier, payload, "
                           "created_at, attempts + ?4, ?2, ?3, depends_on FROM outbox WHERE id = ?1"),
          dependants(db, "SELECT id FROM outbox WHERE depends_on = ?1 ORDER BY id"),
          describe_dead(db, "SELECT aggregate_type, aggregate_id FROM outbox_dead WHERE outbox_id = ?1"),
          remove(db, "DELETE FROM outbox WHERE id = ?1"),
          dead_letters(db,
                       "SELECT id, outbox_id, aggregate_type, aggregate_id, operation, identifier, payload, "
                       "created_at, attempts, failed_at, reason, depends_on FROM outbox_dead "
                       "ORDER BY id DESC LIMIT ?1"),
          dead_count(db, "SELECT count(*) FROM outbox_dead"),
          delivered_resource(db, "SELECT resource FROM outbox_delivered WHERE outbox_id = ?1"),
          forget_delivered(db,
                           "DELETE FROM outbox_delivered AS d WHERE d.delivered_at < ?1 "
                           "AND NOT EXISTS (SELECT 1 FROM outbox AS o WHERE o.depends_on = d.outbox_id)") {}

    detail::Statement peek;
    detail::Statement due;
    detail::Statement next_due_at;
    detail::Statement count;
    detail::Statement insert;
    detail::Statement dependency_refused;
    detail::Statement find_waiting;
    detail::Statement find_delivered;
    detail::Statement find_dead;
    detail::Statement keep_delivered;
    detail::Statement acknowledge;
    detail::Statement retry_later;
    detail::Statement copy_to_dead;
    detail::Statement dependants;
    detail::Statement describe_dead;
    detail::Statement remove;
    detail::Statement dead_letters;
    detail::Statement dead_count;
    detail::Statement delivered_resource;
    detail::Statement forget_delivered;
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

void Outbox::to_dead(std::int64_t id, const std::string& reason, core::UnixMillis now, bool attempted) {
    {
        auto& s = st_->copy_to_dead;
        const auto reset = s.scoped();
        s.bind_int64(1, id).bind_int64(2, now).bind_text(3, reason).bind_int64(4, attempted ? 1 : 0);
        s.run();
    }
    auto& s = st_->remove;
    const auto reset = s.scoped();
    s.bind_int64(1, id);
    s.run();
}

void Outbox::hold_dependants(std::int64_t refused_id, core::UnixMillis now) {
    // Breadth-first over the records that (transitively) refer to the refused one.
    std::vector<std::int64_t> queue{refused_id};
    for (std::size_t next = 0; next < queue.size(); ++next) {
        const std::int64_t dependency = queue[next];
        std::vector<std::int64_t> held;
        {
            auto& s = st_->dependants;
            const auto reset = s.scoped();
            s.bind_int64(1, dependency);
            while (s.step())
                held.push_back(s.column_int64(0));
        }
        if (held.empty()) continue;
        const std::string reason = held_reason(dependency);
        for (const std::int64_t id : held) {
            to_dead(id, reason, now, false);
            queue.push_back(id);
        }
    }
}

std::string Outbox::held_reason(std::int64_t dependency) const {
    // The dependency is in outbox_dead by now; its aggregate names a record, never a person.
    auto& s = st_->describe_dead;
    const auto reset = s.scoped();
    s.bind_int64(1, dependency);
    std::string what = "outbox record " + std::to_string(dependency);
    if (s.step()) what += " (" + s.column_text(0) + " " + s.column_text(1) + ")";
    return "held: not sent, it refers to " + what +
           ", which the HIS refused (see that dead letter); sending it would leave a reference the HIS "
           "cannot resolve";
}

void Outbox::record(const Results& results, core::UnixMillis now) {
    if (results.delivered.empty() && results.retry.empty() && results.refused.empty()) return;
    // A failure names the row it happened on, for staff; the transaction leaves everything as it was.
    const auto for_row = [](std::int64_t id, const char* what, const auto& step) {
        try {
            step();
        } catch (const std::exception& e) {
            throw StoreError(std::string("could not record that outbox row ") + std::to_string(id) + " " +
                             what + " (nothing of this delivery attempt was recorded): " + e.what());
        }
    };
    detail::Transaction tx(db_);
    for (const auto& d : results.delivered)
        for_row(d.id, "was delivered", [&] {
            {
                auto& s = st_->keep_delivered;
                const auto reset = s.scoped();
                s.bind_int64(1, d.id).bind_text(2, d.resource).bind_int64(3, now);
                s.run();
            }
            auto& s = st_->acknowledge;
            const auto reset = s.scoped();
            s.bind_int64(1, d.id);
            s.run();
        });
    for (const auto& r : results.retry)
        for_row(r.id, "waits for a retry", [&] {
            auto& s = st_->retry_later;
            const auto reset = s.scoped();
            s.bind_int64(1, r.id).bind_int64(2, r.next_attempt_at).bind_text(3, r.error);
            s.run();
        });
    for (const auto& r : results.refused)
        for_row(r.id, "was refused", [&] {
            to_dead(r.id, r.reason, now, true);
            hold_dependants(r.id, now);
        });
    tx.commit();
}

std::int64_t Outbox::add(const NewOutboxRecord& r, core::UnixMillis now) {
    if (sqlite3_get_autocommit(db_.handle()) != 0)
        throw StoreError(
            "Outbox::add outside a transaction: the record would not commit with its domain row");
    std::int64_t id = 0;
    {
        auto& s = st_->insert;
        const auto reset = s.scoped();
        s.bind_text(1, r.aggregate_type)
            .bind_text(2, r.aggregate_id)
            .bind_text(3, r.operation)
            .bind_text(4, r.identifier)
            .bind_text(5, r.payload_json)
            .bind_int64(6, now);
        if (r.depends_on)
            s.bind_int64(7, *r.depends_on);
        else
            s.bind_null(7);
        if (!s.step()) throw StoreError("inserting an outbox record returned no id");
        id = s.column_int64(0);
    }
    if (r.depends_on) {
        bool refused = false;
        {
            auto& s = st_->dependency_refused;
            const auto reset = s.scoped();
            s.bind_int64(1, *r.depends_on);
            refused = s.step();
        }
        if (refused) to_dead(id, held_reason(*r.depends_on), now, false);
    }
    return id;
}

std::optional<std::int64_t> Outbox::find_record(const std::string& aggregate_type,
                                                const std::string& aggregate_id) const {
    std::optional<std::int64_t> newest;
    for (detail::Statement* s : {&st_->find_waiting, &st_->find_delivered, &st_->find_dead}) {
        const auto reset = s->scoped();
        s->bind_text(1, aggregate_type).bind_text(2, aggregate_id);
        if (s->step() && !s->column_is_null(0)) newest = std::max(newest.value_or(0), s->column_int64(0));
    }
    return newest;
}

std::optional<std::string> Outbox::delivered_resource(std::int64_t outbox_id) const {
    auto& s = st_->delivered_resource;
    const auto reset = s.scoped();
    s.bind_int64(1, outbox_id);
    if (!s.step()) return std::nullopt;
    return s.column_text(0);
}

std::int64_t Outbox::forget_delivered_older_than(core::UnixMillis cutoff) {
    auto& s = st_->forget_delivered;
    const auto reset = s.scoped();
    s.bind_int64(1, cutoff);
    s.run();
    return static_cast<std::int64_t>(sqlite3_changes64(db_.handle()));
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
        if (!s.column_is_null(11)) d.depends_on = s.column_int64(11);
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
