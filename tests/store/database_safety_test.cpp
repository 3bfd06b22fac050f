// Crash safety of kiosk.db: the locks a live kiosk holds survive its own later opens (so an outside reader
// never deletes the WAL under it), a damaged file is refused after an unclean shutdown, and a full disk is
// named as such, at open and while issuing a ticket, with nothing half-written.
#include "kiosk/store/database.hpp"
#include "kiosk/store/patient_cache.hpp"
#include "kiosk/store/statement.hpp"
#include "kiosk/store/ticket_store.hpp"
#include "small_disk.hpp"
#include "store/store_test_support.hpp"
#include "temp_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace kiosk::store {
namespace {

namespace fs = std::filesystem;
using test::query_int;
using test::read_bytes;
using test::read_bytes_if_any;
using test::store_error_of;
using test::TempDir;
using test::utc_ms;
using test::write_bytes;
using ::testing::HasSubstr;
using ::testing::Not;

// 2026-11-24 07:42:05 at the site (+07:00).
core::UnixMillis morning() {
    return utc_ms(2026, 11, 24, 0, 42, 5);
}

core::Ticket issue_kbh(Database& db) {
    TicketStore tickets(db);
    return tickets.issue(test::kiosk_b(), test::service_kbh(), morning());
}

std::int64_t kbh_counter(const Database& db) {
    return query_int(
        db, "SELECT coalesce(max(last_sequence), 0) FROM ticket_counters WHERE service_code = 'KBH'");
}

// One byte each way between a test and the process it forked.
class Pipe {
public:
    Pipe() {
        if (::pipe(fds_) != 0) throw std::runtime_error("pipe failed");
    }
    ~Pipe() {
        ::close(fds_[0]);
        ::close(fds_[1]);
    }
    void send() const {
        const char c = 1;
        if (::write(fds_[1], &c, 1) != 1) ::_exit(90);
    }
    [[nodiscard]] bool receive() const {
        char c = 0;
        return ::read(fds_[0], &c, 1) == 1;
    }

private:
    int fds_[2] = {-1, -1};
};

// What the process `pid` ended with: its exit status, or 128 + the signal that killed it.
int wait_for(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// What a backup or monitoring job does: open the file with SQLite, read, close. As the last user of the
// file it would checkpoint the WAL and delete it, which it may only do when no one else has the file
// open: this connection's close asks for that with an exclusive lock.
std::int64_t outside_read(const fs::path& file) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        sqlite3_close(db);
        throw std::runtime_error("outside reader cannot open " + file.string());
    }
    sqlite3_stmt* st = nullptr;
    std::int64_t n = -1;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM tickets", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

// A: the kiosk's first connection writes a ticket, a second connection of the same process opens the
// file (the sync worker, the lookup thread). An outside reader then runs; the kiosk writes another
// ticket and loses power (SIGKILL). Opening the second connection must not have dropped the first one's
// locks: the WAL stays where the kiosk writes it, and both tickets and their counter survive.
TEST(DatabaseLocks, ASecondOpenKeepsTheLocksSoAnOutsideReaderLeavesTheWal) {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    { Database::open(file); } // created and migrated, as a kiosk's earlier day left it
    Pipe ready, go, second;
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        try {
            Database ui = Database::open(file);
            issue_kbh(ui);
            Database worker = Database::open(file);
            Database lookup = Database::open(file);
            ready.send();
            if (!go.receive()) ::_exit(91);
            issue_kbh(ui);
            second.send();
            ::kill(::getpid(), SIGKILL); // the power cut
        } catch (...) {
        }
        ::_exit(92);
    }
    ASSERT_TRUE(ready.receive());
    const auto wal = fs::path(file.string() + "-wal");
    ASSERT_TRUE(fs::exists(wal));
    EXPECT_EQ(outside_read(file), 1);
    EXPECT_TRUE(fs::exists(wal)) << "the outside reader deleted the WAL of the live kiosk";
    go.send();
    EXPECT_TRUE(second.receive());
    ASSERT_EQ(wait_for(child), 128 + SIGKILL);

    Database after = Database::open(file);
    EXPECT_EQ(query_int(after, "SELECT count(*) FROM tickets"), 2);
    EXPECT_EQ(kbh_counter(after), 2);
    EXPECT_EQ(issue_kbh(after).sequence, 3);
}

// The same with the sqlite3 command-line tool, the way a cron job reads the file.
TEST(DatabaseLocks, TheSqliteCommandLineToolLeavesTheWalOfALiveKiosk) {
    if (std::system("command -v sqlite3 >/dev/null 2>&1") != 0)
        GTEST_SKIP() << "the sqlite3 command-line tool is not installed (Debian package sqlite3)";
    TempDir dir;
    const auto file = dir / "kiosk.db";
    Database ui = Database::open(file);
    issue_kbh(ui);
    Database lookup = Database::open(file);
    const auto wal = fs::path(file.string() + "-wal");
    ASSERT_TRUE(fs::exists(wal));
    // Another process: this one's own connections share their locks, so only a separate one can tell.
    const std::string cmd = "sqlite3 '" + file.string() + "' 'SELECT count(*) FROM tickets;' >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    EXPECT_TRUE(fs::exists(wal)) << "sqlite3 deleted the WAL of a database this process has open";
}

// The page a table's first leaf sits on (dbstat), and the file's page size.
std::int64_t leaf_page_of(const Database& db, const char* table) {
    detail::Statement st(db,
                         "SELECT pageno FROM dbstat WHERE name = ?1 AND pagetype = 'leaf' ORDER BY pageno");
    st.bind_text(1, table);
    if (!st.step()) throw std::runtime_error(std::string("no leaf page of ") + table + " in dbstat");
    return st.column_int64(0);
}

// The first value a pragma returns, through a plain SQLite connection of its own.
std::string raw_pragma(const fs::path& file, const char* sql) {
    sqlite3* db = nullptr;
    std::string value = "(cannot open)";
    if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
        sqlite3_stmt* st = nullptr;
        value = "(no row)";
        if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            value = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return value;
}

// A kiosk process that opens the file, writes one ticket and dies without closing it: its WAL stays.
void crash_after_a_ticket(const fs::path& file) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        try {
            Database db = Database::open(file);
            issue_kbh(db);
            ::kill(::getpid(), SIGKILL);
        } catch (...) {
        }
        ::_exit(92);
    }
    ASSERT_EQ(wait_for(child), 128 + SIGKILL);
}

// 11: one flipped byte in a ticket row (its reference, which the primary key's index also holds) passes
// quick_check. After an unclean shutdown the full integrity_check runs and the file is refused untouched.
TEST(DatabaseIntegrity, AFlippedByteInATicketRowIsRefusedAfterAnUncleanShutdown) {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    std::int64_t page = 0, page_size = 0;
    std::string reference;
    {
        Database db = Database::open(file);
        reference = issue_kbh(db).reference;
        issue_kbh(db);
        page = leaf_page_of(db, "tickets");
        page_size = query_int(db, "PRAGMA page_size");
    } // closed cleanly: the WAL is checkpointed into the file and deleted
    ASSERT_FALSE(fs::exists(file.string() + "-wal"));
    std::string bytes = read_bytes(file);
    const auto start = static_cast<std::size_t>((page - 1) * page_size);
    const auto at = bytes.find(reference, start);
    ASSERT_NE(at, std::string::npos);
    ASSERT_LT(at, start + static_cast<std::size_t>(page_size)) << "the reference is not in the tickets page";
    bytes[at + reference.size() - 1] = static_cast<char>(bytes[at + reference.size() - 1] ^ 0x01); // 1 -> 0
    write_bytes(file, bytes);
    // The premise: quick_check misses this damage, integrity_check sees it.
    EXPECT_EQ(raw_pragma(file, "PRAGMA quick_check"), "ok");
    EXPECT_THAT(raw_pragma(file, "PRAGMA integrity_check"), HasSubstr("missing from index"));

    crash_after_a_ticket(file);
    const auto wal = fs::path(file.string() + "-wal");
    ASSERT_TRUE(fs::exists(wal));
    const std::string db_before = read_bytes(file), wal_before = read_bytes(wal);
    const auto message = store_error_of([&] { Database::open(file); });
    EXPECT_THAT(message, HasSubstr(file.string()));
    EXPECT_THAT(message, HasSubstr("integrity_check after an unclean shutdown"));
    EXPECT_THAT(message, HasSubstr("missing from index"));
    EXPECT_THAT(message, HasSubstr("left untouched"));
    EXPECT_TRUE(read_bytes(file) == db_before) << "kiosk.db was changed";
    EXPECT_TRUE(read_bytes(wal) == wal_before) << "kiosk.db-wal was changed";
    // Refused on every later attempt too, not only the first.
    EXPECT_THAT(store_error_of([&] { Database::open(file); }), HasSubstr("missing from index"));
}

// After an unclean shutdown a healthy file passes the full check and keeps what the dead processes wrote;
// a second connection of the same process, opened while the first has the WAL, opens too.
TEST(DatabaseIntegrity, AHealthyFileOpensAfterAnUncleanShutdownWithEverythingCommitted) {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    { Database::open(file); }
    crash_after_a_ticket(file);
    crash_after_a_ticket(file);
    Database db = Database::open(file);
    Database second = Database::open(file);
    EXPECT_TRUE(db.checked_after_unclean_shutdown());
    EXPECT_FALSE(second.checked_after_unclean_shutdown()); // the WAL is the first connection's
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM tickets"), 2);
    EXPECT_EQ(issue_kbh(second).sequence, 3);
}

// 12: statvfs's view of a fresh 1 MiB tmpfs, in the words IT staff read.
TEST(DiskFull, TheMessageNamesTheDirectoryAndTheBytesFree) {
    TempDir dir;
    std::string why_not;
    const auto disk = test::SmallDisk::mount(dir / "disk", 1024 * 1024, why_not);
    if (!disk) GTEST_SKIP() << why_not;
    const auto message = disk_full_message(disk->path(), ENOSPC);
    EXPECT_THAT(message,
                HasSubstr("the disk holding " + disk->path().string() + " is full (1048576 bytes free)"));
    EXPECT_THAT(message, HasSubstr("free space"));
    disk->fill();
    EXPECT_THAT(disk_full_message(disk->path(), ENOSPC), HasSubstr("(0 bytes free)"));
    EXPECT_THAT(disk_full_message(disk->path(), EDQUOT), HasSubstr("quota"));
    EXPECT_TRUE(is_disk_full_errno(ENOSPC));
    EXPECT_TRUE(is_disk_full_errno(EDQUOT));
    EXPECT_FALSE(is_disk_full_errno(EACCES));
}

TEST(DiskFull, ANewDatabaseOnAFullDiskIsReportedAsAFullDisk) {
    TempDir dir;
    std::string why_not;
    const auto disk = test::SmallDisk::mount(dir / "disk", 256 * 1024, why_not);
    if (!disk) GTEST_SKIP() << why_not;
    disk->fill();
    const auto message = store_error_of([&] { Database::open(disk->path() / "kiosk.db"); });
    EXPECT_THAT(message, HasSubstr("the disk holding " + disk->path().string() + " is full (0 bytes free)"));
    EXPECT_THAT(message, Not(HasSubstr("writable")));
    EXPECT_THAT(message, Not(HasSubstr("permission")));
}

TEST(DiskFull, AnExistingDatabaseOnADiskThatFilledUpIsReportedAsAFullDiskAndLeftAsItWas) {
    TempDir dir;
    std::string why_not;
    const auto disk = test::SmallDisk::mount(dir / "disk", 1024 * 1024, why_not);
    if (!disk) GTEST_SKIP() << why_not;
    const auto file = disk->path() / "kiosk.db";
    {
        Database db = Database::open(file);
        issue_kbh(db);
    }
    disk->fill();
    const std::string before = read_bytes(file);
    const auto message = store_error_of([&] { Database::open(file); });
    EXPECT_THAT(message, HasSubstr(file.string()));
    EXPECT_THAT(message, HasSubstr("is full (0 bytes free)"));
    EXPECT_THAT(message, Not(HasSubstr("writable")));
    EXPECT_TRUE(read_bytes(file) == before) << "kiosk.db was changed";
    disk->make_room();
    Database db = Database::open(file);
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM tickets"), 1);
}

// 12, during operation: a ticket issued when the disk has just filled fails whole (no counter step, no
// ticket, no outbox row), says the disk is full, and the kiosk goes on once there is room again.
TEST(DiskFull, ATicketOnAFullDiskFailsWholeAndSaysSo) {
    TempDir dir;
    std::string why_not;
    const auto disk = test::SmallDisk::mount(dir / "disk", 1024 * 1024, why_not);
    if (!disk) GTEST_SKIP() << why_not;
    const auto file = disk->path() / "kiosk.db";
    Database db = Database::open(file);
    TicketStore tickets(db);
    EXPECT_EQ(tickets.issue(test::kiosk_b(), test::service_kbh(), morning()).sequence, 1);
    disk->fill();
    const auto message =
        store_error_of([&] { tickets.issue(test::kiosk_b(), test::service_kbh(), morning()); });
    EXPECT_THAT(message, HasSubstr("nothing was written"));
    EXPECT_THAT(message, HasSubstr("the disk holding " + disk->path().string() + " is full"));
    EXPECT_EQ(tickets.count(), 1);
    EXPECT_EQ(kbh_counter(db), 1);
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM outbox"), 1);
    disk->make_room();
    EXPECT_EQ(tickets.issue(test::kiosk_b(), test::service_kbh(), morning()).sequence, 2);
    EXPECT_EQ(query_int(db, "SELECT count(*) FROM outbox"), 2);
}

// Issue 9, point 6: secure_delete is the store's own setting, on every connection it opens (the SQLite build
// may default it either way: SQLite's own default is off).
TEST(SecureDelete, EveryConnectionTheStoreOpensHasItOn) {
    TempDir dir;
    const auto file = dir.path() / "kiosk.db";
    {
        const auto created = Database::open(file);
        EXPECT_EQ(query_int(created, "PRAGMA secure_delete"), 1);
    }
    const auto reopened = Database::open(file);
    const auto second = Database::open(file); // a second connection of the same process (the sync's)
    const auto unmigrated = Database::open_unmigrated(file);
    EXPECT_EQ(query_int(reopened, "PRAGMA secure_delete"), 1);
    EXPECT_EQ(query_int(second, "PRAGMA secure_delete"), 1);
    EXPECT_EQ(query_int(unmigrated, "PRAGMA secure_delete"), 1);
}

// A forgotten patient's name is gone from the file's bytes (and from the WAL, which the last connection's
// close checkpoints and removes). The control shows the check finds a deleted row's bytes when
// secure_delete is off.
TEST(SecureDelete, AForgottenPatientsNameIsNotInTheFileAfterwards) {
    TempDir dir;
    const std::string name = "Trần Thị Bích Ngọc Quyzxv";
    {
        const auto control = dir.path() / "control.db";
        sqlite3* raw = nullptr;
        ASSERT_EQ(sqlite3_open(control.c_str(), &raw), SQLITE_OK);
        const std::string sql =
            "PRAGMA secure_delete = OFF; CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('" + name +
            "'); DELETE FROM t;";
        EXPECT_EQ(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(raw);
        EXPECT_NE(read_bytes(control).find(name), std::string::npos) << "the check cannot see deleted rows";
    }
    const auto file = dir.path() / "kiosk.db";
    {
        auto db = Database::open(file);
        PatientCache cache(db);
        const std::string json =
            R"({"resourceType":"Patient","id":"p1","name":[{"text":")" + name + R"("}]})";
        cache.replace_matches("urn:kiosk:vn:cccd", "079090001234",
                              {{"p1", json, {{"urn:kiosk:vn:cccd", "079090001234"}}}}, 1000);
        ASSERT_EQ(cache.count(), 1);
        // Checkpointed while the row exists: its bytes are in the file itself, not only in the WAL.
        db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
        ASSERT_NE(read_bytes(file).find(name), std::string::npos);
        cache.forget_older_than(2000);
        ASSERT_EQ(cache.count(), 0);
    }
    const std::string bytes = read_bytes(file) + read_bytes_if_any(dir.path() / "kiosk.db-wal");
    EXPECT_EQ(bytes.find(name), std::string::npos) << "the forgotten patient's name is still in the file";
    EXPECT_EQ(bytes.find("079090001234"), std::string::npos) << "so is the CCCD number";
}

} // namespace
} // namespace kiosk::store
