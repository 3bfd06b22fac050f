// The real kiosk binary, headless, driven by scripted taps: the ticket slice end to end, restarts, and
// every bad start-up input ending in one clear message.
#include "kiosk/store/ticket_store.hpp"
#include "kiosk_process.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

using namespace kiosk::test;

namespace {

const char* kTicketScript = "tap feature.queue; wait choose_service; tap service.KBH; wait ticket; "
                            "screenshot {shot}; quit";

std::string script_with_shot(const std::filesystem::path& shot) {
    std::string s = kTicketScript;
    s.replace(s.find("{shot}"), 6, shot.string());
    return s;
}

struct Rows {
    std::vector<kiosk::store::OutboxEntry> outbox;
    std::int64_t tickets = 0;
    std::optional<kiosk::core::Ticket> last;
};

Rows read_rows(const std::filesystem::path& db_file) {
    auto db = kiosk::store::Database::open(db_file);
    kiosk::store::TicketStore tickets(db);
    kiosk::store::Outbox outbox(db);
    Rows r;
    r.outbox = outbox.peek(100);
    r.tickets = tickets.count();
    if (!r.outbox.empty()) r.last = tickets.find(r.outbox.back().aggregate_id);
    return r;
}

} // namespace

TEST(KioskEndToEnd, QueueTicketSliceStoresTicketAndOutboxAndShowsADecodableQr) {
    TempDir dir;
    const auto data = dir / "data";
    const auto config = write_site_config(dir, data.string());
    const auto shot = dir / "ticket.png";
    const auto r = run_kiosk("--headless --windowed 1080x1920 --config " + shell_quote(config.string()) +
                                 " --do " + shell_quote(script_with_shot(shot)),
                             dir.path());
    ASSERT_EQ(r.status, 0) << r.err;

    const Rows rows = read_rows(data / "kiosk.db");
    ASSERT_EQ(rows.tickets, 1);
    ASSERT_EQ(rows.outbox.size(), 1u);
    ASSERT_TRUE(rows.last);
    EXPECT_EQ(rows.last->service_code, "KBH");
    EXPECT_EQ(rows.last->display_number, "AA-001");
    EXPECT_EQ(rows.outbox[0].aggregate_type, "ticket");
    EXPECT_EQ(rows.outbox[0].identifier, rows.last->reference);
    EXPECT_NE(rows.outbox[0].payload_json.find(rows.last->reference), std::string::npos);

    ASSERT_TRUE(std::filesystem::exists(shot));
    EXPECT_EQ(zbar_decode(shot, dir), rows.last->reference);
}

TEST(KioskEndToEnd, LandscapeTicketQrDecodesToo) {
    TempDir dir;
    const auto config = write_site_config(dir, (dir / "data").string());
    const auto shot = dir / "ticket.png";
    const auto r = run_kiosk("--headless --windowed 1920x1080 --config " + shell_quote(config.string()) +
                                 " --do " + shell_quote(script_with_shot(shot)),
                             dir.path());
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(zbar_decode(shot, dir), read_rows(dir / "data" / "kiosk.db").last->reference);
}

TEST(KioskEndToEnd, ARestartNeverReissuesANumber) {
    TempDir dir;
    const auto config = write_site_config(dir, (dir / "data").string());
    for (int run = 1; run <= 2; ++run) {
        const auto r = run_kiosk("--headless --windowed 1280x800 --config " + shell_quote(config.string()) +
                                     " --do " + shell_quote(script_with_shot(dir / "t.png")),
                                 dir.path());
        ASSERT_EQ(r.status, 0) << r.err;
    }
    const Rows rows = read_rows(dir / "data" / "kiosk.db");
    EXPECT_EQ(rows.tickets, 2);
    ASSERT_EQ(rows.outbox.size(), 2u);
    EXPECT_NE(rows.outbox[0].identifier, rows.outbox[1].identifier);
    EXPECT_EQ(rows.last->display_number, "AA-002");
}

TEST(KioskEndToEnd, ServiceListScrollsByDraggingAndTheLastServiceCanBeTaken) {
    TempDir dir;
    const auto config = write_site_config(dir, (dir / "data").string());
    // On a short screen the last service (Nhà thuốc, NT) starts out of view: no tap target until dragged.
    const auto r = run_kiosk("--headless --windowed 1280x720 --config " + shell_quote(config.string()) +
                                 " --do 'tap feature.queue; wait choose_service; drag service.KBH -2000; "
                                 "tap service.NT; wait ticket; quit'",
                             dir.path());
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(read_rows(dir / "data" / "kiosk.db").last->service_code, "NT");
}

TEST(KioskEndToEnd, OffScreenServiceIsNotTappableBeforeScrolling) {
    TempDir dir;
    const auto config = write_site_config(dir, (dir / "data").string());
    const auto r = run_kiosk("--headless --windowed 1280x720 --config " + shell_quote(config.string()) +
                                 " --do 'tap feature.queue; wait choose_service; tap service.NT; quit'",
                             dir.path());
    EXPECT_EQ(r.status, 4);
    EXPECT_NE(r.err.find("no tap target 'service.NT'"), std::string::npos) << r.err;
}

TEST(KioskEndToEnd, IdleTimeoutReturnsToWelcome) {
    TempDir dir;
    const auto config = write_site_config(dir, (dir / "data").string(),
                                          {{"\nidle_timeout_seconds = 60", "\nidle_timeout_seconds = 15"}});
    const auto r = run_kiosk("--headless --windowed 1280x800 --config " + shell_quote(config.string()) +
                                 " --do 'tap feature.queue; wait choose_service; tap lang.en; sleep 15500; "
                                 "wait welcome; quit'",
                             dir.path());
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("patient state cleared"), std::string::npos) << r.err;
}

TEST(KioskStartup, InvalidConfigIsRefusedWithFileLineAndKey) {
    TempDir dir;
    const auto config = write_site_config(dir, (dir / "data").string(),
                                          {{"\nkiosk_letter = \"A\"", "\nkiosk_letter = \"AB\""}});
    const auto r = run_kiosk("--headless --config " + shell_quote(config.string()), dir.path());
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find(config.string() + ":"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("kiosk_letter"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "data" / "kiosk.db"));

    const auto check = run_kiosk("--check-config " + shell_quote(config.string()), dir.path());
    EXPECT_EQ(check.status, 2);
    EXPECT_NE(check.err.find("kiosk_letter"), std::string::npos) << check.err;
}

TEST(KioskStartup, CheckConfigAcceptsTheExample) {
    TempDir dir;
    const auto r = run_kiosk("--check-config " +
                                 shell_quote(std::string(KIOSK_SOURCE_DIR) + "/config/site.example.toml"),
                             dir.path());
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("OK"), std::string::npos);
}

TEST(KioskStartup, CheckConfigNamesThePaymentsReceiverAndRefusesABinNapasDoesNotList) {
    TempDir dir;
    const std::string his =
        "\nidentifier_base = \"https://bvdk-demo.vn/fhir/sid/\"\nbase_url = \"https://his.test/fhir\"";
    const auto good = write_site_config(
        dir, (dir / "data").string(),
        {{"\nbase_url = \"\"", his},
         {"\nbin = \"\"",
          "\nbin = \"970415\"\naccount = \"112000123456\"\naccount_name = \"BENH VIEN TEST\""}});
    const auto ok = run_kiosk("--check-config " + shell_quote(good.string()), dir.path());
    EXPECT_EQ(ok.status, 0) << ok.err;
    EXPECT_NE(ok.out.find("payments go to VietinBank (BIN 970415), account 112000123456, BENH VIEN TEST"),
              std::string::npos)
        << ok.out;

    const auto bad = write_site_config(
        dir, (dir / "data").string(),
        {{"\nbase_url = \"\"", his},
         {"\nbin = \"\"",
          "\nbin = \"970499\"\naccount = \"112000123456\"\naccount_name = \"BENH VIEN TEST\""}});
    const auto refused = run_kiosk("--check-config " + shell_quote(bad.string()), dir.path());
    EXPECT_EQ(refused.status, 2);
    EXPECT_NE(refused.err.find("payment.bin: '970499' is not in the NAPAS member list"), std::string::npos)
        << refused.err;
    // The kiosk refuses to start on it with the same message.
    const auto start = run_kiosk("--headless --config " + shell_quote(bad.string()), dir.path());
    EXPECT_EQ(start.status, 2);
    EXPECT_NE(start.err.find("970499"), std::string::npos) << start.err;
}

TEST(KioskStartup, MissingConfigFileIsNamed) {
    TempDir dir;
    const auto r = run_kiosk("--headless --config " + shell_quote((dir / "nope.toml").string()), dir.path());
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("nope.toml"), std::string::npos) << r.err;
}

TEST(KioskStartup, MissingFontIsNamed) {
    TempDir dir;
    const auto config = write_site_config(
        dir, (dir / "data").string(),
        {{"/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", "/nonexistent/NotoSans-Regular.ttf"}});
    const auto r = run_kiosk("--headless --config " + shell_quote(config.string()), dir.path());
    EXPECT_EQ(r.status, 3);
    EXPECT_NE(r.err.find("/nonexistent/NotoSans-Regular.ttf"), std::string::npos) << r.err;
}

TEST(KioskStartup, UnwritableDataDirIsNamed) {
    TempDir dir;
    write_text(dir / "file", "not a directory");
    const auto config = write_site_config(dir, (dir / "file" / "data").string());
    const auto r = run_kiosk("--headless --config " + shell_quote(config.string()), dir.path());
    EXPECT_EQ(r.status, 3);
    EXPECT_NE(r.err.find((dir / "file" / "data").string()), std::string::npos) << r.err;
}

TEST(KioskStartup, CorruptDatabaseIsReportedAndLeftUntouched) {
    TempDir dir;
    std::filesystem::create_directories(dir / "data");
    std::string junk(64 * 1024, '\0');
    for (std::size_t i = 0; i < junk.size(); ++i)
        junk[i] = static_cast<char>((i * 7919) % 251);
    write_text(dir / "data" / "kiosk.db", junk);
    const auto config = write_site_config(dir, (dir / "data").string());
    const auto r = run_kiosk("--headless --config " + shell_quote(config.string()) + " --screenshot " +
                                 shell_quote((dir / "x.png").string()),
                             dir.path());
    EXPECT_EQ(r.status, 3);
    EXPECT_NE(r.err.find("kiosk.db"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("corrupt"), std::string::npos) << r.err;
    EXPECT_EQ(read_text(dir / "data" / "kiosk.db"), junk);
}
