#include "kiosk/store/database.hpp"

#include "kiosk/store/statement.hpp"

#include <sqlite3.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace kiosk::store {
namespace {

namespace fs = std::filesystem;

// The connections this process holds, by database file. Opening is serialised: the first connection of the
// process to a file finishes its checks (the full integrity check after an unclean shutdown) before any
// other connection of this process to it can be opened, let alone write.
struct OpenConnections {
    std::mutex opening;
    std::mutex mutex;
    std::map<sqlite3*, std::string> files; // connection -> key of its file
};

OpenConnections& open_connections() {
    static OpenConnections registry;
    return registry;
}

// One key per file however it is named ("data/kiosk.db", "./data/../data/kiosk.db"). Only stat() and
// readlink() are used: never open() a database file outside SQLite (see check_header()).
std::string file_key(const fs::path& file) {
    std::error_code ec;
    auto p = fs::weakly_canonical(file, ec);
    if (ec) p = fs::absolute(file, ec);
    return ec ? file.string() : p.string();
}

bool open_in_this_process(const std::string& key) {
    auto& r = open_connections();
    std::lock_guard lock(r.mutex);
    for (const auto& entry : r.files)
        if (entry.second == key) return true;
    return false;
}

void remember(sqlite3* db, const std::string& key) {
    auto& r = open_connections();
    std::lock_guard lock(r.mutex);
    r.files[db] = key;
}

void close_connection(sqlite3* db) noexcept {
    if (!db) return;
    {
        auto& r = open_connections();
        std::lock_guard lock(r.mutex);
        r.files.erase(db);
    }
    sqlite3_close_v2(db);
}

struct Closer {
    void operator()(sqlite3* db) const noexcept { close_connection(db); }
};
using Handle = std::unique_ptr<sqlite3, Closer>;

constexpr std::int64_t kBusyTimeoutMs = 5000;

// What is wrong with the directory meant to hold the database, if anything ("" when it looks fine).
// SQLite's own message for these cases is a bare "unable to open database file".
std::string directory_problem(const fs::path& file) {
    fs::path dir = file.parent_path();
    if (dir.empty()) dir = ".";
    std::error_code ec;
    const auto status = fs::status(dir, ec);
    if (!fs::exists(status)) return "directory " + dir.string() + " does not exist";
    if (!fs::is_directory(status)) return dir.string() + " is not a directory";
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
        return "directory " + dir.string() + " is not writable by this user";
    return {};
}

[[noreturn]] void throw_cannot_open(const std::string& path, const std::string& reason) {
    const std::string dir = directory_problem(fs::path(path));
    throw StoreError("cannot open database " + path + ": " +
                     (dir.empty() ? reason : dir + "; sqlite: " + reason) + " (is the data dir writable?)");
}

[[noreturn]] void throw_corrupt(const std::string& path, const std::string& detail) {
    throw StoreError("database " + path + " is corrupt or not a kiosk database (" + detail +
                     "); it was left untouched — move it aside to start a fresh one, or restore a backup");
}

// SQLite's message plus the operating system's reason when there is one ("Permission denied").
std::string sqlite_reason(sqlite3* db, int rc) {
    std::string reason = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    const int err = db ? sqlite3_system_errno(db) : 0;
    if (err != 0) reason += ": " + std::generic_category().message(err);
    return reason;
}

bool is_corrupt(int rc) {
    const int primary = rc & 0xff;
    return primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT;
}

bool is_access_problem(int rc) {
    const int primary = rc & 0xff;
    return primary == SQLITE_CANTOPEN || primary == SQLITE_READONLY || primary == SQLITE_PERM ||
           primary == SQLITE_AUTH;
}

// Turns the failure of one step of opening into the message for IT staff.
[[noreturn]] void throw_open_failure(sqlite3* db, const std::string& path, int rc, const std::string& what) {
    if (const auto full = detail::disk_full_problem(db, path, rc); !full.empty())
        throw StoreError("cannot open database " + path + ": " + what + ": " + full);
    if (is_corrupt(rc)) throw_corrupt(path, what + ": " + sqlite3_errmsg(db));
    if (is_access_problem(rc)) throw_cannot_open(path, what + ": " + sqlite_reason(db, rc));
    if ((rc & 0xff) == SQLITE_BUSY)
        throw StoreError("cannot open database " + path + ": " + what + ": it stayed locked by another " +
                         "process for " + std::to_string(kBusyTimeoutMs) +
                         " ms (is a second kiosk running?)");
    throw StoreError("cannot open database " + path + ": " + what + ": " + sqlite_reason(db, rc));
}

// Runs one single-value query (a read, or a pragma) while opening; the first column of the first row.
std::string query_while_opening(sqlite3* db, const std::string& path, const char* sql, const char* what) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
    std::string value;
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            const unsigned char* text = sqlite3_column_text(stmt, 0);
            value = text ? reinterpret_cast<const char*>(text) : "";
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            rc = SQLITE_OK;
        } else {
            rc = sqlite3_extended_errcode(db);
        }
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_OK) throw_open_failure(db, path, rc, what);
    return value;
}

// Every row of the first column of a query while opening (PRAGMA integrity_check reports one problem a row).
std::vector<std::string> query_rows_while_opening(sqlite3* db, const std::string& path, const char* sql,
                                                  const char* what) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
    std::vector<std::string> rows;
    while (rc == SQLITE_OK) {
        const int step = sqlite3_step(stmt);
        if (step == SQLITE_ROW) {
            const unsigned char* text = sqlite3_column_text(stmt, 0);
            rows.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
        } else if (step == SQLITE_DONE) {
            break;
        } else {
            rc = sqlite3_extended_errcode(db);
        }
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_OK) throw_open_failure(db, path, rc, what);
    return rows;
}

std::int64_t to_int(const std::string& s) {
    try {
        return std::stoll(s);
    } catch (const std::exception&) {
        return 0;
    }
}

// The first 16 bytes of every SQLite 3 database file.
constexpr std::array<char, 16> kSqliteMagic = {'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f',
                                               'o', 'r', 'm', 'a', 't', ' ', '3', '\0'};

bool non_empty_file(const fs::path& p) {
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) return false;
    const auto size = fs::file_size(p, ec);
    return !ec && size > 0;
}

// The file's first bytes, read through the descriptor SQLite itself opened. Never open() the database
// file a second time: closing any descriptor of a file drops every POSIX lock the process holds on it
// (https://www.sqlite.org/howtocorrupt.html, 2.2), and a live kiosk without its lock lets one outside
// `sqlite3 kiosk.db 'select ...'` take itself for the last user and delete the WAL the kiosk still
// writes into. Called right after sqlite3_open_v2, before any query: SQLite has read the header once
// (for the page size) but taken no lock and written nothing, so a file that does not even start like a
// SQLite database is reported before SQLite could, say, roll a journal back into it.
void check_header(sqlite3* db, const std::string& path) {
    sqlite3_file* file = nullptr;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK || file == nullptr ||
        file->pMethods == nullptr)
        return; // not a file SQLite can show us: its own first read reports any problem
    std::array<char, 16> head{};
    const int rc = file->pMethods->xRead(file, head.data(), static_cast<int>(head.size()), 0);
    if (rc == SQLITE_IOERR_SHORT_READ || (rc == SQLITE_OK && head != kSqliteMagic))
        throw_corrupt(path, "it does not start with the SQLite file header");
    if (rc != SQLITE_OK) throw_open_failure(db, path, rc, "reading its header");
}

// PRAGMA integrity_check's first findings, on one line for the message.
std::string integrity_findings(const std::vector<std::string>& rows) {
    std::string text;
    for (const auto& row : rows) {
        if (!text.empty()) text += "; ";
        text += row;
    }
    return text;
}

// Opens, validates and configures the connection. Until the file is known to be a healthy kiosk
// database of a version this build understands, only reads are issued, so a refused file stays as it was.
Handle open_connection(const fs::path& file, bool& checked_after_unclean_shutdown) {
    const std::string path = file.string();
    const std::string key = file_key(file);
    std::lock_guard opening(open_connections().opening);
    const bool first = !open_in_this_process(key);
    const bool existed = non_empty_file(file);
    // A non-empty WAL left by a crash belongs to the file: if we refuse the file, closing must not
    // checkpoint that WAL into it either.
    const bool had_wal = non_empty_file(fs::path(path + "-wal"));
    // The last connection to close checkpoints the WAL and deletes it, so a non-empty WAL that no
    // connection of this process owns was left by a process that died (a crash, SIGKILL, a power cut) or
    // is still running (then the full check below only costs time).
    const bool unclean = first && had_wal;
    checked_after_unclean_shutdown = false;

    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    Handle db(raw);
    if (rc != SQLITE_OK) {
        if (const auto full = detail::disk_full_problem(raw, path, rc); !full.empty())
            throw StoreError("cannot open database " + path + ": " + full);
        throw_cannot_open(path, sqlite_reason(raw, rc));
    }
    sqlite3_extended_result_codes(raw, 1);
    if (existed) check_header(raw, path);
    // SQLite falls back to read-only when the file exists but may not be written.
    if (sqlite3_db_readonly(raw, "main") == 1) throw_cannot_open(path, "the file is not writable");
    sqlite3_busy_timeout(raw, static_cast<int>(kBusyTimeoutMs));

    const auto refuse = [&] {
        if (had_wal) sqlite3_db_config(raw, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    };
    try {
        // Reading the schema is the first access to the file: garbage shows up here as SQLITE_NOTADB.
        const auto objects = to_int(
            query_while_opening(raw, path, "SELECT count(*) FROM sqlite_master", "reading its schema"));
        const auto version =
            to_int(query_while_opening(raw, path, "PRAGMA user_version", "reading its schema version"));
        const auto app_id =
            to_int(query_while_opening(raw, path, "PRAGMA application_id", "reading its application id"));
        if ((objects > 0 || version > 0) && app_id != detail::kApplicationId)
            throw_corrupt(path, "a SQLite database of another application: application_id " +
                                    std::to_string(app_id) + ", schema version " + std::to_string(version) +
                                    ", " + std::to_string(objects) + " schema objects");
        if (version > latest_schema_version())
            throw detail::newer_schema_error(path, static_cast<int>(version), latest_schema_version());
        if (unclean) {
            // quick_check reads every page but compares no index with its table: a flipped byte in a ticket
            // row passes it. After a crash the whole file is checked before anything is written.
            const auto rows = query_rows_while_opening(raw, path, "PRAGMA integrity_check(10)",
                                                       "checking its integrity after an unclean shutdown");
            if (rows.size() != 1 || rows[0] != "ok")
                throw_corrupt(path,
                              "integrity_check after an unclean shutdown (the last kiosk process did not "
                              "close it): " +
                                  integrity_findings(rows));
        } else if (existed) {
            const auto check =
                query_while_opening(raw, path, "PRAGMA quick_check(1)", "checking its integrity");
            if (check != "ok") throw_corrupt(path, "quick_check: " + check);
        }
    } catch (...) {
        refuse();
        throw;
    }

    // From here on the file is ours to write.
    const auto mode = query_while_opening(raw, path, "PRAGMA journal_mode = WAL", "switching it to WAL");
    if (mode != "wal")
        throw_cannot_open(path, "SQLite could not switch it to WAL (journal mode is '" + mode + "')");
    detail::exec_sql(raw, path, "PRAGMA synchronous = FULL");
    detail::exec_sql(raw, path, "PRAGMA foreign_keys = ON");
    // Deleted rows (a forgotten patient) are overwritten with zeros in the file, not merely unlinked. Set
    // here, on every connection, rather than trusting the SQLite build's default (Debian's is on, SQLite's
    // own is off).
    detail::exec_sql(raw, path, "PRAGMA secure_delete = ON");
    remember(raw, key);
    checked_after_unclean_shutdown = unclean;
    return db;
}

} // namespace

bool is_disk_full_errno(int err) {
    return err == ENOSPC || err == EDQUOT;
}

std::string disk_full_message(const std::filesystem::path& dir, int err) {
    struct statvfs fs_info {};
    std::string free_space;
    if (::statvfs(dir.c_str(), &fs_info) == 0)
        free_space = std::to_string(static_cast<unsigned long long>(fs_info.f_bavail) *
                                    static_cast<unsigned long long>(fs_info.f_frsize)) +
                     " bytes free";
    else
        free_space = "free space unknown: " + std::generic_category().message(errno);
    if (err == EDQUOT)
        return "the disk quota of the kiosk's user on the disk holding " + dir.string() + " is used up (" +
               free_space + " on the disk); raise the quota or free space";
    return "the disk holding " + dir.string() + " is full (" + free_space +
           "); free space on it (old logs, other files) or set data_dir to a directory on a larger disk";
}

Database::Database(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}

Database Database::open(const std::filesystem::path& file) {
    Database db = open_unmigrated(file);
    migrate(db);
    return db;
}

Database Database::open_unmigrated(const std::filesystem::path& file) {
    bool unclean = false;
    Database db(open_connection(file, unclean).release(), file);
    db.checked_after_unclean_shutdown_ = unclean;
    return db;
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)),
      checked_after_unclean_shutdown_(other.checked_after_unclean_shutdown_) {}

Database& Database::operator=(Database&& other) noexcept {
    if (this != &other) {
        close_connection(db_);
        db_ = std::exchange(other.db_, nullptr);
        path_ = std::move(other.path_);
        checked_after_unclean_shutdown_ = other.checked_after_unclean_shutdown_;
    }
    return *this;
}

Database::~Database() {
    close_connection(db_);
}

int Database::schema_version() const {
    detail::Statement st(*this, "PRAGMA user_version");
    if (!st.step()) throw StoreError("PRAGMA user_version returned nothing on database " + path_.string());
    return static_cast<int>(st.column_int64(0));
}

void Database::exec(const std::string& sql) {
    detail::exec_sql(db_, path_.string(), sql.c_str());
}

} // namespace kiosk::store
