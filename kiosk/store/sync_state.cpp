#include "kiosk/store/sync_state.hpp"

#include "kiosk/store/statement.hpp"

#include <string>

namespace kiosk::store {

struct SyncState::Statements {
    explicit Statements(const Database& db)
        : get(db, "SELECT value FROM sync_state WHERE key = ?1"),
          upsert(db,
                 "INSERT INTO sync_state (key, value, updated_at) VALUES (?1, ?2, ?3) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"),
          remove(db, "DELETE FROM sync_state WHERE key = ?1") {}

    detail::Statement get;
    detail::Statement upsert;
    detail::Statement remove;
};

SyncState::SyncState(Database& db) : db_(db), st_(std::make_unique<Statements>(db)) {}

SyncState::~SyncState() = default;

std::optional<std::string> SyncState::get(const std::string& key) const {
    auto& s = st_->get;
    const auto reset = s.scoped();
    s.bind_text(1, key);
    if (!s.step()) return std::nullopt;
    return s.column_text(0);
}

void SyncState::set(const std::string& key, const std::string& value, core::UnixMillis now) {
    auto& s = st_->upsert;
    const auto reset = s.scoped();
    s.bind_text(1, key).bind_text(2, value).bind_int64(3, now);
    s.run();
}

void SyncState::remove(const std::string& key) {
    auto& s = st_->remove;
    const auto reset = s.scoped();
    s.bind_text(1, key);
    s.run();
}

void SyncState::set_many(const std::vector<std::pair<std::string, std::string>>& values,
                         core::UnixMillis now) {
    if (values.empty()) return;
    try {
        detail::Transaction tx(db_);
        for (const auto& [key, value] : values)
            set(key, value, now);
        tx.commit();
    } catch (const std::exception& e) {
        throw StoreError("could not store " + std::to_string(values.size()) +
                         " sync state values (none was stored): " + e.what());
    }
}

} // namespace kiosk::store
