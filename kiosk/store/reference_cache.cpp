#include "kiosk/store/reference_cache.hpp"

#include "kiosk/store/statement.hpp"

#include <charconv>
#include <optional>
#include <string>

namespace kiosk::store {
namespace {

// The columns read_row() reads, in its order.
constexpr const char* kRowColumns =
    "resource_type, id, version_id, last_updated, status, starts_at, ends_at, parent_ref, json";

std::string cursor_key(const std::string& type) {
    return "cursor." + type;
}
std::string reconciled_key(const std::string& type) {
    return "reconciled." + type;
}

ReferenceRow read_row(const detail::Statement& s) {
    ReferenceRow r;
    r.resource_type = s.column_text(0);
    r.id = s.column_text(1);
    r.version_id = s.column_text(2); // NULL reads as ""
    r.last_updated = s.column_text(3);
    r.status = s.column_text(4);
    r.starts_at = s.column_text(5);
    r.ends_at = s.column_text(6);
    r.parent_ref = s.column_text(7);
    r.json = s.column_text(8);
    return r;
}

std::vector<ReferenceRow> read_rows(detail::Statement& s) {
    std::vector<ReferenceRow> rows;
    while (s.step())
        rows.push_back(read_row(s));
    return rows;
}

// "" is stored as NULL: the column is absent in the resource.
void bind_optional(detail::Statement& s, int index, const std::string& value) {
    if (value.empty())
        s.bind_null(index);
    else
        s.bind_text(index, value);
}

void bind_optional(detail::Statement& s, int index, const std::optional<std::string>& value) {
    if (value)
        s.bind_text(index, *value);
    else
        s.bind_null(index);
}

std::optional<std::string> optional_text(const detail::Statement& s, int index) {
    if (s.column_is_null(index)) return std::nullopt;
    return s.column_text(index);
}

// The columns read_scan() reads, in its order.
constexpr const char* kScanColumns = "scan_id, resource_type, reason, started_at, expected, bound, link, "
                                     "by_link, follow_links, newest, listed, pages";

ReferenceScan read_scan(const detail::Statement& s) {
    ReferenceScan r;
    r.scan_id = s.column_int64(0);
    r.resource_type = s.column_text(1);
    r.reason = s.column_text(2);
    r.started_at = s.column_int64(3);
    if (!s.column_is_null(4)) r.expected = s.column_int64(4);
    r.bound = optional_text(s, 5);
    r.link = optional_text(s, 6);
    r.by_link = s.column_int64(7) != 0;
    r.follow_links = s.column_int64(8) != 0;
    r.newest = optional_text(s, 9);
    r.listed = s.column_int64(10) != 0;
    r.pages = s.column_int64(11);
    return r;
}

} // namespace

struct ReferenceCache::Statements {
    explicit Statements(const Database& db)
        : upsert(db, "INSERT INTO reference_resources (resource_type, id, version_id, last_updated, status, "
                     "starts_at, ends_at, parent_ref, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
                     "ON CONFLICT (resource_type, id) DO UPDATE SET version_id = excluded.version_id, "
                     "last_updated = excluded.last_updated, status = excluded.status, "
                     "starts_at = excluded.starts_at, ends_at = excluded.ends_at, "
                     "parent_ref = excluded.parent_ref, json = excluded.json"),
          remove(db, "DELETE FROM reference_resources WHERE resource_type = ?1 AND id = ?2"),
          remove_type(db, "DELETE FROM reference_resources WHERE resource_type = ?1"),
          count(db, "SELECT count(*) FROM reference_resources WHERE resource_type = ?1"),
          find(db, std::string("SELECT ") + kRowColumns +
                       " FROM reference_resources WHERE resource_type = ?1 AND id = ?2"),
          ids(db, "SELECT id FROM reference_resources WHERE resource_type = ?1 ORDER BY id"),
          count_starting(
              db, "SELECT count(*) FROM reference_resources WHERE resource_type = ?1 "
                  "AND julianday(starts_at) >= julianday(?2) AND julianday(starts_at) < julianday(?3)"),
          slots(db,
                std::string("SELECT ") + kRowColumns +
                    " FROM reference_resources WHERE resource_type = 'Slot' AND parent_ref = ?1 "
                    "AND status = 'free' AND julianday(starts_at) >= julianday(?2) "
                    "AND julianday(starts_at) < julianday(?3) ORDER BY julianday(starts_at), id LIMIT ?4"),
          is_instant(db, "SELECT julianday(?1) IS NOT NULL"),
          get_scan(db,
                   std::string("SELECT ") + kScanColumns + " FROM reference_scans WHERE resource_type = ?1"),
          drop_scan(db, "DELETE FROM reference_scans WHERE resource_type = ?1"),
          insert_scan(db, "INSERT INTO reference_scans (resource_type, reason, started_at, updated_at) "
                          "VALUES (?1, ?2, ?3, ?3)"),
          update_scan(db, "UPDATE reference_scans SET expected = ?2, bound = ?3, link = ?4, by_link = ?5, "
                          "follow_links = ?6, newest = ?7, listed = ?8, pages = ?9, updated_at = ?10 "
                          "WHERE scan_id = ?1"),
          mark_seen(db, "UPDATE reference_resources SET seen_scan = ?3 WHERE resource_type = ?1 AND id = ?2"),
          unseen(db, "SELECT id FROM reference_resources WHERE resource_type = ?1 AND seen_scan IS NOT ?2 "
                     "ORDER BY id"),
          seen_count(db,
                     "SELECT count(*) FROM reference_resources WHERE resource_type = ?1 AND seen_scan = ?2") {
    }

    detail::Statement upsert;
    detail::Statement remove;
    detail::Statement remove_type;
    detail::Statement count;
    detail::Statement find;
    detail::Statement ids;
    detail::Statement count_starting;
    detail::Statement slots;
    detail::Statement is_instant;
    detail::Statement get_scan;
    detail::Statement drop_scan;
    detail::Statement insert_scan;
    detail::Statement update_scan;
    detail::Statement mark_seen;
    detail::Statement unseen;
    detail::Statement seen_count;

    void drop_scan_of(const std::string& resource_type) {
        const auto reset = drop_scan.scoped();
        drop_scan.bind_text(1, resource_type);
        drop_scan.run();
    }
    std::optional<ReferenceScan> scan_of(const std::string& resource_type) {
        const auto reset = get_scan.scoped();
        get_scan.bind_text(1, resource_type);
        if (!get_scan.step()) return std::nullopt;
        return read_scan(get_scan);
    }
};

ReferenceCache::ReferenceCache(Database& db) : db_(db), st_(std::make_unique<Statements>(db)), state_(db) {}

ReferenceCache::~ReferenceCache() = default;

void ReferenceCache::apply_page(const std::string& resource_type, const std::vector<ReferenceRow>& upserts,
                                const std::vector<std::string>& removed_ids,
                                const std::optional<std::string>& new_cursor, core::UnixMillis now) {
    apply(resource_type, upserts, removed_ids, new_cursor, false, now);
}

void ReferenceCache::finish_reconciliation(const std::string& resource_type,
                                           const std::vector<ReferenceRow>& upserts,
                                           const std::vector<std::string>& removed_ids,
                                           const std::optional<std::string>& new_cursor,
                                           core::UnixMillis now) {
    apply(resource_type, upserts, removed_ids, new_cursor, true, now);
}

void ReferenceCache::upsert_rows(const std::vector<ReferenceRow>& rows) {
    for (const auto& row : rows) {
        auto& s = st_->upsert;
        const auto reset = s.scoped();
        s.bind_text(1, row.resource_type).bind_text(2, row.id);
        bind_optional(s, 3, row.version_id);
        bind_optional(s, 4, row.last_updated);
        bind_optional(s, 5, row.status);
        bind_optional(s, 6, row.starts_at);
        bind_optional(s, 7, row.ends_at);
        bind_optional(s, 8, row.parent_ref);
        s.bind_text(9, row.json);
        s.run();
    }
}

void ReferenceCache::apply(const std::string& resource_type, const std::vector<ReferenceRow>& upserts,
                           const std::vector<std::string>& removed_ids,
                           const std::optional<std::string>& new_cursor, bool reconciled,
                           core::UnixMillis now) {
    const std::string what = "could not store a page of " + std::to_string(upserts.size()) + " " +
                             resource_type + " resources and " + std::to_string(removed_ids.size()) +
                             " removals (nothing was stored, the cursor is unchanged)";
    if (resource_type.empty()) throw StoreError(what + ": no resource type given");
    for (const auto& row : upserts) {
        if (row.resource_type != resource_type)
            throw StoreError(what + ": a row of type '" + row.resource_type + "' in the page");
        if (row.id.empty()) throw StoreError(what + ": a row without an id");
        if (row.json.empty()) throw StoreError(what + ": row " + row.id + " has no JSON");
    }
    if (new_cursor && new_cursor->empty()) throw StoreError(what + ": an empty cursor");
    if (upserts.empty() && removed_ids.empty() && !new_cursor && !reconciled) return;
    try {
        detail::Transaction tx(db_);
        upsert_rows(upserts);
        for (const auto& id : removed_ids) {
            auto& s = st_->remove;
            const auto reset = s.scoped();
            s.bind_text(1, resource_type).bind_text(2, id);
            s.run();
        }
        if (new_cursor) state_.set(cursor_key(resource_type), *new_cursor, now);
        if (reconciled) {
            state_.set(reconciled_key(resource_type), std::to_string(now), now);
            st_->drop_scan_of(resource_type); // the scan is complete
        }
        tx.commit();
    } catch (const std::exception& e) {
        throw StoreError(what + ": " + e.what());
    }
}

ReferenceScan ReferenceCache::begin_scan(const std::string& resource_type, const std::string& reason,
                                         core::UnixMillis now) {
    if (resource_type.empty()) throw StoreError("could not start a full scan: no resource type given");
    try {
        detail::Transaction tx(db_);
        st_->drop_scan_of(resource_type);
        {
            auto& s = st_->insert_scan;
            const auto reset = s.scoped();
            s.bind_text(1, resource_type).bind_text(2, reason).bind_int64(3, now);
            s.run();
        }
        auto started = st_->scan_of(resource_type);
        if (!started) throw StoreError("the new scan is not there");
        tx.commit();
        return *started;
    } catch (const std::exception& e) {
        throw StoreError("could not start a full scan of the cached " + resource_type +
                         " resources: " + e.what());
    }
}

std::optional<ReferenceScan> ReferenceCache::scan(const std::string& resource_type) const {
    return st_->scan_of(resource_type);
}

void ReferenceCache::abandon_scan(const std::string& resource_type) {
    try {
        detail::Transaction tx(db_);
        st_->drop_scan_of(resource_type);
        tx.commit();
    } catch (const std::exception& e) {
        throw StoreError("could not abandon the full scan of the cached " + resource_type +
                         " resources: " + e.what());
    }
}

void ReferenceCache::apply_scan_page(const ReferenceScan& progress, const std::vector<ReferenceRow>& upserts,
                                     const std::vector<std::string>& seen_ids,
                                     const std::vector<std::string>& removed_ids, core::UnixMillis now) {
    const std::string& type = progress.resource_type;
    const std::string what = "could not store a page of the full scan " + std::to_string(progress.scan_id) +
                             " of " + type + " (" + std::to_string(upserts.size()) + " resources, " +
                             std::to_string(removed_ids.size()) +
                             " removals; nothing was stored, the scan stays where it was)";
    if (type.empty()) throw StoreError(what + ": no resource type given");
    for (const auto& row : upserts) {
        if (row.resource_type != type)
            throw StoreError(what + ": a row of type '" + row.resource_type + "' in the page");
        if (row.id.empty()) throw StoreError(what + ": a row without an id");
        if (row.json.empty()) throw StoreError(what + ": row " + row.id + " has no JSON");
    }
    try {
        detail::Transaction tx(db_);
        const auto current = st_->scan_of(type);
        if (!current || current->scan_id != progress.scan_id)
            throw StoreError("it is no longer the type's scan in progress (abandoned, replaced or reset)");
        upsert_rows(upserts);
        auto mark = [&](const std::string& id) {
            auto& s = st_->mark_seen;
            const auto reset = s.scoped();
            s.bind_text(1, type).bind_text(2, id).bind_int64(3, progress.scan_id);
            s.run();
        };
        for (const auto& row : upserts)
            mark(row.id);
        for (const auto& id : seen_ids)
            mark(id);
        for (const auto& id : removed_ids) {
            auto& s = st_->remove;
            const auto reset = s.scoped();
            s.bind_text(1, type).bind_text(2, id);
            s.run();
        }
        {
            auto& s = st_->update_scan;
            const auto reset = s.scoped();
            s.bind_int64(1, progress.scan_id);
            if (progress.expected)
                s.bind_int64(2, *progress.expected);
            else
                s.bind_null(2);
            bind_optional(s, 3, progress.bound);
            bind_optional(s, 4, progress.link);
            s.bind_int64(5, progress.by_link ? 1 : 0).bind_int64(6, progress.follow_links ? 1 : 0);
            bind_optional(s, 7, progress.newest);
            s.bind_int64(8, progress.listed ? 1 : 0).bind_int64(9, progress.pages).bind_int64(10, now);
            s.run();
        }
        tx.commit();
    } catch (const std::exception& e) {
        throw StoreError(what + ": " + e.what());
    }
}

std::vector<std::string> ReferenceCache::unseen_ids(const std::string& resource_type,
                                                    std::int64_t scan_id) const {
    auto& s = st_->unseen;
    const auto reset = s.scoped();
    s.bind_text(1, resource_type).bind_int64(2, scan_id);
    std::vector<std::string> out;
    while (s.step())
        out.push_back(s.column_text(0));
    return out;
}

std::int64_t ReferenceCache::seen_count(const std::string& resource_type, std::int64_t scan_id) const {
    auto& s = st_->seen_count;
    const auto reset = s.scoped();
    s.bind_text(1, resource_type).bind_int64(2, scan_id);
    if (!s.step()) return 0;
    return s.column_int64(0);
}

std::optional<std::string> ReferenceCache::cursor(const std::string& resource_type) const {
    return state_.get(cursor_key(resource_type));
}

std::optional<core::UnixMillis> ReferenceCache::reconciled_at(const std::string& resource_type) const {
    const auto stored = state_.get(reconciled_key(resource_type));
    if (!stored) return std::nullopt;
    const std::string& text = *stored;
    core::UnixMillis at = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), at);
    if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt; // unreadable: never
    return at;
}

void ReferenceCache::reset(const std::string& resource_type) {
    try {
        detail::Transaction tx(db_);
        {
            auto& s = st_->remove_type;
            const auto reset = s.scoped();
            s.bind_text(1, resource_type);
            s.run();
        }
        st_->drop_scan_of(resource_type);
        state_.remove(cursor_key(resource_type));
        state_.remove(reconciled_key(resource_type));
        tx.commit();
    } catch (const std::exception& e) {
        throw StoreError("could not reset the cached " + resource_type +
                         " resources (nothing was removed): " + e.what());
    }
}

std::int64_t ReferenceCache::count(const std::string& resource_type) const {
    auto& s = st_->count;
    const auto reset = s.scoped();
    s.bind_text(1, resource_type);
    if (!s.step()) return 0;
    return s.column_int64(0);
}

std::optional<ReferenceRow> ReferenceCache::find(const std::string& resource_type,
                                                 const std::string& id) const {
    auto& s = st_->find;
    const auto reset = s.scoped();
    s.bind_text(1, resource_type).bind_text(2, id);
    if (!s.step()) return std::nullopt;
    return read_row(s);
}

std::vector<std::string> ReferenceCache::ids(const std::string& resource_type) const {
    auto& s = st_->ids;
    const auto reset = s.scoped();
    s.bind_text(1, resource_type);
    std::vector<std::string> out;
    while (s.step())
        out.push_back(s.column_text(0));
    return out;
}

void ReferenceCache::check_instants(const std::string& from_iso, const std::string& to_iso) const {
    for (const std::string* v : {&from_iso, &to_iso}) {
        // julianday() also takes a bare number as a Julian day number: require yyyy-mm-dd first.
        const bool dated = v->size() >= 10 && (*v)[4] == '-' && (*v)[7] == '-';
        auto& s = st_->is_instant;
        const auto reset = s.scoped();
        s.bind_text(1, *v);
        if (!dated || !s.step() || s.column_int64(0) == 0)
            throw StoreError("'" + *v +
                             "' is not an ISO 8601 date or date-time (e.g. 2026-11-24T08:00:00+07:00)");
    }
}

std::int64_t ReferenceCache::count_starting(const std::string& resource_type, const std::string& from_iso,
                                            const std::string& to_iso) const {
    check_instants(from_iso, to_iso);
    auto& s = st_->count_starting;
    const auto reset = s.scoped();
    s.bind_text(1, resource_type).bind_text(2, from_iso).bind_text(3, to_iso);
    if (!s.step()) return 0;
    return s.column_int64(0);
}

std::vector<ReferenceRow> ReferenceCache::slots(const std::string& schedule_ref, const std::string& from_iso,
                                                const std::string& to_iso, int limit) const {
    check_instants(from_iso, to_iso);
    if (limit <= 0) return {};
    auto& s = st_->slots;
    const auto reset = s.scoped();
    s.bind_text(1, schedule_ref).bind_text(2, from_iso).bind_text(3, to_iso).bind_int64(4, limit);
    return read_rows(s);
}

} // namespace kiosk::store
