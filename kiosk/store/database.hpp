#pragma once
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

struct sqlite3;

namespace kiosk::store {

// Every store failure: the message says what failed and on which file, in words IT staff can act on.
class StoreError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// One SQLite file: WAL journal, synchronous=FULL (a committed ticket survives power loss), foreign keys
// on, secure_delete on (deleted rows are zeroed in the file), busy timeout. open() applies pending schema
// migrations; a file that is not a kiosk database, is corrupt, or is newer than this build is never modified
// and reported as StoreError. Every open runs quick_check; the first open in this process after an unclean
// shutdown (a non-empty WAL no connection of this process owns) runs the full integrity_check instead, which
// also compares every index with its table. The file is never opened outside SQLite: that would drop this
// process's locks on it.
class Database {
public:
    static Database open(const std::filesystem::path& file);
    // Opens without migrating (tests build databases at earlier schema versions with this).
    static Database open_unmigrated(const std::filesystem::path& file);

    Database(Database&&) noexcept;
    Database& operator=(Database&&) noexcept;
    ~Database();

    [[nodiscard]] sqlite3* handle() const { return db_; }
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    [[nodiscard]] int schema_version() const;
    // True when this connection found the file as a process that died left it (a non-empty WAL no
    // connection of this process owned) and the full integrity_check passed: worth a line in the log.
    [[nodiscard]] bool checked_after_unclean_shutdown() const { return checked_after_unclean_shutdown_; }

    // Runs sql (no parameters) and throws StoreError naming the file on failure.
    void exec(const std::string& sql);

private:
    Database(sqlite3* db, std::filesystem::path path);
    sqlite3* db_ = nullptr;
    std::filesystem::path path_;
    bool checked_after_unclean_shutdown_ = false;
};

// True for the operating system's "no room" errors: ENOSPC (disk full) and EDQUOT (quota used up).
[[nodiscard]] bool is_disk_full_errno(int err);
// What IT staff read when the disk holding `dir` has no room left: "the disk holding <dir> is full (N bytes
// free); free space on it ...", N from statvfs (what an unprivileged user may still use). `err` is the
// system error when known (EDQUOT names the quota instead).
[[nodiscard]] std::string disk_full_message(const std::filesystem::path& dir, int err = 0);

// Numbered schema migrations, each applied in one transaction; PRAGMA user_version holds the number.
[[nodiscard]] int latest_schema_version();
// Migrates up to `target` (default: latest). Throws if the file is newer than this build knows.
void migrate(Database& db, int target = -1);

} // namespace kiosk::store
