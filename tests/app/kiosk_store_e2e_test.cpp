// The real kiosk binary and its kiosk.db under what happens to a lobby machine: a backup job reading the
// live database, a power cut, a full disk.
#include "kiosk/store/outbox.hpp"
#include "kiosk/store/statement.hpp"
#include "kiosk/store/ticket_store.hpp"
#include "kiosk_process.hpp"
#include "small_disk.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

using namespace kiosk::test;

namespace {

namespace fs = std::filesystem;

// The site config of these tests: no HIS, and an idle timeout that cannot end a session while a test acts.
fs::path config_for(const TempDir& dir, const fs::path& data) {
    return write_site_config(dir, data.string(),
                             {{"\nidle_timeout_seconds = 60", "\nidle_timeout_seconds = 3600"}});
}

// A background kiosk whose stdout and stderr go to <name>.out and <name>.err.
KioskProcess::Setup named(const std::string& name) {
    KioskProcess::Setup s;
    s.name = name;
    return s;
}

std::int64_t query_count(const kiosk::store::Database& db, const char* sql) {
    kiosk::store::detail::Statement st(db, sql);
    return st.step() ? st.column_int64(0) : -1;
}

} // namespace

// A: while the kiosk runs with its two connections (ticketing, and the lookup thread, proven open by a
// lookup), a ticket is issued, a backup job reads kiosk.db with the sqlite3 tool, a second ticket is
// issued and the power fails. Both tickets and their counter are in kiosk.db, and the next kiosk goes on
// with the next number.
TEST(KioskStore, AnOutsideReadOfTheLiveDatabaseThenAPowerCutLosesNoTicket) {
    if (std::system("command -v sqlite3 >/dev/null 2>&1") != 0)
        GTEST_SKIP() << "the sqlite3 command-line tool is not installed (Debian package sqlite3)";
    TempDir dir;
    const auto data = dir / "data";
    const auto config = config_for(dir, data);
    const auto go = dir / "outside-read-done";
    const auto script = dir / "live.script";
    // The lookup (typed on the keypad: no timing involved) runs on the lookup thread after its connection
    // opened, so by the first ticket both connections of the kiosk are open.
    write_text(script, "wait welcome\ntap feature.identify\nwait identify\ntap identify.type_cccd\n"
                       "wait enter_number\ntype 079090001234\ntap key.ok\nwait not_found\n"
                       "tap back\nwait identify\ntap back\nwait welcome\n"
                       "tap feature.queue\nwait choose_service\ntap service.KBH\nwait ticket\n"
                       "measure 1\n"
                       "wait-file " +
                           go.string() +
                           "\n"
                           "tap ticket.done\nwait welcome\n"
                           "tap feature.queue\nwait choose_service\ntap service.KBH\nwait ticket\n"
                           "measure 1\n"
                           "wait-file " +
                           (dir / "never").string() + "\n");
    {
        KioskProcess kiosk({"--headless", "--windowed", "1080x1920", "--config", config.string(), "--script",
                            script.string()},
                           dir.path(), named("live"));
        ASSERT_TRUE(kiosk.line_starting("KIOSK_MEASURE screen=ticket")) << kiosk.err();
        const auto wal = fs::path((data / "kiosk.db").string() + "-wal");
        ASSERT_TRUE(fs::exists(wal));
        const auto read = run_command("sqlite3 " + shell_quote((data / "kiosk.db").string()) +
                                          " 'SELECT count(*) FROM tickets;'",
                                      dir.path());
        ASSERT_EQ(read.status, 0) << read.err;
        EXPECT_EQ(read.out, "1\n");
        EXPECT_TRUE(fs::exists(wal)) << "the outside read deleted the WAL of the live kiosk";
        write_text(go, "");
        ASSERT_TRUE(kiosk.line_starting("KIOSK_MEASURE screen=ticket")) << kiosk.err();
        EXPECT_TRUE(killed_by(kiosk.kill_and_wait(SIGKILL), SIGKILL));
    }
    {
        // What the power cut left, read from a copy (kiosk.db and its WAL): opening the original here would
        // recover it, and the restarted kiosk below is to find it as the power cut left it.
        const auto image = dir / "after-power-cut";
        fs::create_directories(image);
        fs::copy_file(data / "kiosk.db", image / "kiosk.db");
        fs::copy_file(data / "kiosk.db-wal", image / "kiosk.db-wal");
        auto db = kiosk::store::Database::open(image / "kiosk.db");
        EXPECT_EQ(kiosk::store::TicketStore(db).count(), 2);
        EXPECT_EQ(
            query_count(db, "SELECT max(last_sequence) FROM ticket_counters WHERE service_code = 'KBH'"), 2);
        EXPECT_EQ(kiosk::store::Outbox(db).peek(10).size(), 2u);
    }
    const auto r =
        run_kiosk("--headless --windowed 1080x1920 --config " + shell_quote(config.string()) +
                      " --do 'tap feature.queue; wait choose_service; tap service.KBH; wait ticket; quit'",
                  dir.path());
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("did not shut down cleanly last time"), std::string::npos) << r.err;
    auto db = kiosk::store::Database::open(data / "kiosk.db");
    const auto queued = kiosk::store::Outbox(db).peek(10);
    ASSERT_EQ(queued.size(), 3u);
    const auto last = kiosk::store::TicketStore(db).find(queued.back().aggregate_id);
    ASSERT_TRUE(last);
    EXPECT_EQ(last->display_number, "AA-003");
}

// 12: a data dir on a full disk is reported as a full disk (with its free bytes), not as a permission
// problem, and the kiosk does not start.
TEST(KioskStore, AFullDiskAtStartIsNamedAsAFullDisk) {
    TempDir dir;
    std::string why_not;
    const auto disk = SmallDisk::mount(dir / "disk", 256 * 1024, why_not);
    if (!disk) GTEST_SKIP() << why_not;
    fs::create_directories(disk->path() / "data");
    disk->fill();
    const auto config = config_for(dir, disk->path() / "data");
    const auto r = run_kiosk("--headless --config " + shell_quote(config.string()), dir.path());
    EXPECT_EQ(r.status, 3);
    EXPECT_NE(r.err.find("the disk holding " + (disk->path() / "data").string() + " is full (0 bytes free)"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("permissions"), std::string::npos) << r.err;
}

// 12, during operation: the disk fills while the kiosk runs. The patient's ticket fails with the screen
// that asks for staff (no number shown), IT staff read "full" in the log, nothing is half-written, and
// once there is room "try again" issues the first number.
TEST(KioskStore, AFullDiskWhileRunningFailsTheTicketCleanlyAndTryAgainWorksOnceThereIsRoom) {
    TempDir dir;
    std::string why_not;
    const auto disk = SmallDisk::mount(dir / "disk", 4 * 1024 * 1024, why_not);
    if (!disk) GTEST_SKIP() << why_not;
    const auto data = disk->path() / "data";
    const auto config = config_for(dir, data);
    const auto full = dir / "disk-full", room = dir / "room-again";
    const auto script = dir / "full.script";
    write_text(script, "wait welcome\nmeasure 1\nwait-file " + full.string() +
                           "\n"
                           "tap feature.queue\nwait choose_service\ntap service.KBH\nwait ticket_failed\n"
                           "measure 1\nwait-file " +
                           room.string() +
                           "\n"
                           "tap retry\nwait ticket\nquit\n");
    const auto r = [&] {
        KioskProcess kiosk({"--headless", "--windowed", "1080x1920", "--config", config.string(), "--script",
                            script.string()},
                           dir.path(), named("full"));
        EXPECT_TRUE(kiosk.line_starting("KIOSK_MEASURE screen=welcome")) << kiosk.err();
        disk->fill();
        write_text(full, "");
        EXPECT_TRUE(kiosk.line_starting("KIOSK_MEASURE screen=ticket_failed")) << kiosk.err();
        disk->make_room();
        {
            // Nothing of the failed ticket reached the file.
            auto db = kiosk::store::Database::open(data / "kiosk.db");
            EXPECT_EQ(kiosk::store::TicketStore(db).count(), 0);
            EXPECT_EQ(query_count(db, "SELECT count(*) FROM ticket_counters"), 0);
            EXPECT_EQ(query_count(db, "SELECT count(*) FROM outbox"), 0);
        }
        write_text(room, "");
        EXPECT_EQ(kiosk.wait_exit(), 0) << kiosk.err(); // the script ran to its quit
        return kiosk.err();
    }();
    EXPECT_NE(r.find("could not issue a ticket"), std::string::npos) << r;
    EXPECT_NE(r.find("the disk holding " + data.string() + " is full"), std::string::npos) << r;
    auto db = kiosk::store::Database::open(data / "kiosk.db");
    const auto queued = kiosk::store::Outbox(db).peek(10);
    ASSERT_EQ(queued.size(), 1u);
    EXPECT_EQ(kiosk::store::TicketStore(db).find(queued[0].aggregate_id)->display_number, "AA-001");
}
