#pragma once
#include "kiosk/core/clock.hpp"
#include "kiosk/store/database.hpp"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kiosk::store {

// Small named values the HIS sync engine keeps between runs (cursors, the last successful sync, the
// HIS's capability fingerprint, ...), in the sync_state table of the kiosk database, so they survive
// restarts and power loss like the tickets do. Each row also records when it was last written.
class SyncState {
public:
    explicit SyncState(Database& db); // throws StoreError if the database has no sync_state (not migrated)
    SyncState(const SyncState&) = delete;
    SyncState& operator=(const SyncState&) = delete;
    ~SyncState();

    // The value stored under `key`, or nullopt when none is.
    [[nodiscard]] std::optional<std::string> get(const std::string& key) const;

    // Stores `value` under `key`, replacing what was there; updated_at = now.
    void set(const std::string& key, const std::string& value, core::UnixMillis now);

    // Removes `key` (nothing happens when it is not stored).
    void remove(const std::string& key);

    // Stores all pairs in one transaction: afterwards either every one is stored or (StoreError) none.
    // When a key appears twice, the later pair wins.
    void set_many(const std::vector<std::pair<std::string, std::string>>& values, core::UnixMillis now);

private:
    struct Statements;
    Database& db_;
    std::unique_ptr<Statements> st_;
};

} // namespace kiosk::store
