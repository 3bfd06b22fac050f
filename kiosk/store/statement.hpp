#pragma once
// Internal to kiosk_store: thin RAII helpers over the SQLite C API. Every SQL text here is a constant;
// data only ever reaches SQLite through bound parameters.
#include "kiosk/store/database.hpp"

#include <cstdint>
#include <string>
#include <string_view>

struct sqlite3_stmt;

namespace kiosk::store::detail {

// PRAGMA application_id of a kiosk database ("KIOS"); set by migration 1. A SQLite file with tables but
// another application id is some other program's database and is never migrated.
inline constexpr std::int32_t kApplicationId = 0x4B494F53;

// For IT staff when `rc` (or the system error behind an I/O error) says the disk has no room: SQLITE_FULL,
// ENOSPC, EDQUOT (see disk_full_message); "" for every other error.
[[nodiscard]] std::string disk_full_problem(sqlite3* db, const std::string& path, int rc);

// Throws StoreError "<context> on database <path>: <sqlite message> (sqlite code N)".
[[noreturn]] void throw_sqlite_error(sqlite3* db, const std::string& path, std::string_view context);
[[noreturn]] void throw_sqlite_error(sqlite3* db, const std::string& path, std::string_view context, int rc);

// Runs constant SQL without parameters (may hold several statements).
void exec_sql(sqlite3* db, const std::string& path, const char* sql);

// "database <path> has schema version N, newer than this kiosk build (M); refusing to touch it".
[[nodiscard]] StoreError newer_schema_error(const std::string& path, int version, int latest);

// One prepared statement, prepared once and reused: bind, step, read columns, reset.
class Statement {
public:
    Statement(sqlite3* db, std::string path, std::string_view sql);
    Statement(const Database& db, std::string_view sql);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Parameter indexes start at 1, as in SQLite.
    Statement& bind_int64(int index, std::int64_t value);
    Statement& bind_text(int index, std::string_view value); // copied by SQLite
    Statement& bind_null(int index);

    // true: a row is available; false: the statement is done. Throws StoreError on failure.
    bool step();
    // Steps a statement that must produce no row (INSERT/UPDATE/DELETE without RETURNING).
    void run();

    // Column indexes start at 0.
    [[nodiscard]] std::int64_t column_int64(int index) const;
    [[nodiscard]] std::string column_text(int index) const; // NULL reads as ""
    [[nodiscard]] bool column_is_null(int index) const;

    // Makes the statement reusable and clears its bindings. Never throws.
    void reset() noexcept;

    // Resets the statement when the scope ends, also on exceptions, so no statement stays in progress
    // (an in-progress statement would block COMMIT or keep a read snapshot open).
    class ResetGuard {
    public:
        explicit ResetGuard(Statement& s) : s_(s) {}
        ~ResetGuard() { s_.reset(); }
        ResetGuard(const ResetGuard&) = delete;
        ResetGuard& operator=(const ResetGuard&) = delete;

    private:
        Statement& s_;
    };
    [[nodiscard]] ResetGuard scoped() { return ResetGuard(*this); }

    [[nodiscard]] std::string_view sql() const { return sql_; }

private:
    void check_bind(int rc, int index);

    sqlite3* db_;
    std::string path_;
    std::string sql_;
    sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE on construction (takes the write lock up front, so the transaction can never fail
// half-way with SQLITE_BUSY on lock upgrade); commit() commits; otherwise the destructor rolls back.
class Transaction {
public:
    Transaction(sqlite3* db, std::string path);
    explicit Transaction(const Database& db);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    void commit();

private:
    sqlite3* db_;
    std::string path_;
    bool done_ = false;
};

} // namespace kiosk::store::detail
