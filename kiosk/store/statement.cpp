#include "kiosk/store/statement.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <utility>

namespace kiosk::store::detail {
namespace {

// SQLITE_TRANSIENT without its C-style cast: SQLite copies the bound text before bind returns.
const auto kTransient = reinterpret_cast<sqlite3_destructor_type>(static_cast<std::intptr_t>(-1));

} // namespace

std::string disk_full_problem(sqlite3* db, const std::string& path, int rc) {
    const int primary = rc & 0xff;
    // The system error is only meaningful after an I/O error (or a failed open); it may be stale otherwise.
    const int err = db && (primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN || primary == SQLITE_FULL)
                        ? sqlite3_system_errno(db)
                        : 0;
    if (primary != SQLITE_FULL && !is_disk_full_errno(err)) return {};
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (dir.empty()) dir = ".";
    return disk_full_message(dir, err);
}

void throw_sqlite_error(sqlite3* db, const std::string& path, std::string_view context, int rc) {
    std::string msg(context);
    msg += " on database ";
    msg += path;
    msg += ": ";
    msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    msg += " (sqlite code " + std::to_string(rc) + ")";
    if (const auto full = disk_full_problem(db, path, rc); !full.empty()) msg += ": " + full;
    throw StoreError(msg);
}

void throw_sqlite_error(sqlite3* db, const std::string& path, std::string_view context) {
    throw_sqlite_error(db, path, context, db ? sqlite3_extended_errcode(db) : SQLITE_ERROR);
}

void exec_sql(sqlite3* db, const std::string& path, const char* sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string msg = "SQL \"";
        msg += sql;
        msg += "\" failed on database ";
        msg += path;
        msg += ": ";
        msg += err ? err : sqlite3_errstr(rc);
        const int code = sqlite3_extended_errcode(db);
        msg += " (sqlite code " + std::to_string(code) + ")";
        if (const auto full = disk_full_problem(db, path, code); !full.empty()) msg += ": " + full;
        sqlite3_free(err);
        throw StoreError(msg);
    }
}

Statement::Statement(sqlite3* db, std::string path, std::string_view sql)
    : db_(db), path_(std::move(path)), sql_(sql) {
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql_.c_str(), static_cast<int>(sql_.size() + 1),
                                      SQLITE_PREPARE_PERSISTENT, &stmt_, &tail);
    if (rc != SQLITE_OK || stmt_ == nullptr) {
        sqlite3_finalize(stmt_);
        stmt_ = nullptr;
        throw_sqlite_error(db_, path_, "preparing \"" + sql_ + "\"", rc == SQLITE_OK ? SQLITE_MISUSE : rc);
    }
    for (; tail && *tail; ++tail) {
        if (*tail != ' ' && *tail != '\n' && *tail != '\t' && *tail != '\r' && *tail != ';') {
            sqlite3_finalize(stmt_);
            stmt_ = nullptr;
            throw StoreError("internal error: \"" + sql_ + "\" holds more than one SQL statement");
        }
    }
}

Statement::Statement(const Database& db, std::string_view sql)
    : Statement(db.handle(), db.path().string(), sql) {}

Statement::~Statement() {
    sqlite3_finalize(stmt_);
}

void Statement::check_bind(int rc, int index) {
    if (rc != SQLITE_OK)
        throw_sqlite_error(db_, path_, "binding parameter " + std::to_string(index) + " of \"" + sql_ + "\"",
                           rc);
}

Statement& Statement::bind_int64(int index, std::int64_t value) {
    check_bind(sqlite3_bind_int64(stmt_, index, static_cast<sqlite3_int64>(value)), index);
    return *this;
}

Statement& Statement::bind_text(int index, std::string_view value) {
    // A non-null pointer even for an empty view, so the value is '' and not NULL.
    const char* data = value.data() ? value.data() : "";
    check_bind(sqlite3_bind_text(stmt_, index, data, static_cast<int>(value.size()), kTransient), index);
    return *this;
}

Statement& Statement::bind_null(int index) {
    check_bind(sqlite3_bind_null(stmt_, index), index);
    return *this;
}

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw_sqlite_error(db_, path_, "running \"" + sql_ + "\"", sqlite3_extended_errcode(db_));
}

void Statement::run() {
    if (step()) throw StoreError("internal error: \"" + sql_ + "\" returned a row on database " + path_);
}

std::int64_t Statement::column_int64(int index) const {
    return static_cast<std::int64_t>(sqlite3_column_int64(stmt_, index));
}

std::string Statement::column_text(int index) const {
    const unsigned char* text = sqlite3_column_text(stmt_, index);
    if (!text) return {};
    const int n = sqlite3_column_bytes(stmt_, index);
    return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(n));
}

bool Statement::column_is_null(int index) const {
    return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

void Statement::reset() noexcept {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

Transaction::Transaction(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {
    exec_sql(db_, path_, "BEGIN IMMEDIATE");
}

Transaction::Transaction(const Database& db) : Transaction(db.handle(), db.path().string()) {}

Transaction::~Transaction() {
    // Some errors (disk full, I/O) make SQLite roll back by itself; then there is nothing left to undo.
    if (!done_ && !sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    exec_sql(db_, path_, "COMMIT");
    done_ = true;
}

} // namespace kiosk::store::detail
