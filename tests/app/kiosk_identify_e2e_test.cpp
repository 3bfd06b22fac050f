// The real kiosk binary, headless: a barcode scanner types a CCCD QR as keystrokes (through SDL's event
// queue, like the USB device), the kiosk identifies or registers the patient, and nothing personal reaches
// the log.
#include "kiosk/store/outbox.hpp"
#include "kiosk/store/patient_registry.hpp"

#include "kiosk_process.hpp"

#include <gtest/gtest.h>

using namespace kiosk::test;

namespace {

// A CCCD QR as printed on a card: a man born 15/01/1990, registered in Hồ Chí Minh City (079).
const std::string kQr =
    "079090001234||Nguyễn Văn An|15011990|Nam|12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí "
    "Minh|20042021";

// Everything of that patient that must never be written to a log, in every form it could take.
const std::vector<std::string> kPersonal = {
    "079090001234", "079 090 001 234", "Nguyễn Văn An", "Nguyễn",   "Nguyen",     "Văn An",   "15011990",
    "1990-01-15",   "15/01/1990",      "Lê Lợi",        "Bến Nghé", "0912345678", "912345678"};

ProcessResult run_script(const TempDir& dir, const std::filesystem::path& config, const std::string& script,
                         const std::string& name, const std::string& size = "1080x1920") {
    const auto file = dir / (name + ".script");
    write_text(file, script);
    return run_kiosk("--headless --windowed " + size + " --log-level trace --config " +
                         shell_quote(config.string()) + " --script " + shell_quote(file.string()),
                     dir.path());
}

void expect_nothing_personal(const ProcessResult& r) {
    for (const auto& p : kPersonal) {
        EXPECT_EQ(r.err.find(p), std::string::npos) << "the log contains '" << p << "':\n" << r.err;
        EXPECT_EQ(r.out.find(p), std::string::npos) << "stdout contains '" << p << "':\n" << r.out;
    }
}

} // namespace

TEST(KioskIdentify, ScannedNewPatientRegistersIsGreetedAndIsKnownAfterARestart) {
    TempDir dir;
    const auto config = write_site_config(dir, (dir / "data").string());
    auto r = run_script(dir, config,
                        "wait welcome\n"
                        "scan " +
                            kQr +
                            "\n"
                            "wait not_found\n"
                            "tap notfound.register\n"
                            "wait register\n"
                            "tap field.phone\n"
                            "wait edit_field\n"
                            "type 0912345678\n"
                            "tap key.ok\n"
                            "wait register\n"
                            "tap register.submit\n"
                            "wait greeting\n"
                            "screenshot " +
                            (dir / "greeting.png").string() +
                            "\n"
                            "quit\n",
                        "register");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("scan received on welcome"), std::string::npos) << r.err;
    EXPECT_TRUE(std::filesystem::exists(dir / "greeting.png"));
    expect_nothing_personal(r);
    {
        auto db = kiosk::store::Database::open(dir / "data" / "kiosk.db");
        kiosk::store::PatientRegistry registry(db);
        const auto found = registry.find_by_cccd("079090001234");
        ASSERT_EQ(found.size(), 1u);
        EXPECT_EQ(found[0].details.full_name, "Nguyễn Văn An");
        EXPECT_EQ(found[0].details.phone, "0912345678");
        EXPECT_EQ(found[0].details.sex, kiosk::core::Sex::Male);
        ASSERT_TRUE(found[0].details.birth_date);
        EXPECT_EQ(found[0].details.birth_date->iso(), "1990-01-15");
        const auto queued = kiosk::store::Outbox(db).peek(10);
        ASSERT_EQ(queued.size(), 1u);
        EXPECT_EQ(queued[0].aggregate_type, "patient");
        EXPECT_EQ(queued[0].identifier, found[0].kiosk_patient_id);
    }

    // The same card the next day, after a restart: the kiosk knows the patient without a HIS.
    r = run_script(dir, config, "scan " + kQr + "\nwait greeting\nquit\n", "again");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("patient lookup by CCCD: found"), std::string::npos) << r.err;
    expect_nothing_personal(r);
    auto db = kiosk::store::Database::open(dir / "data" / "kiosk.db");
    EXPECT_EQ(kiosk::store::PatientRegistry(db).count(), 1);
}

TEST(KioskIdentify, PersonTypingOnAKeyboardIsNotTakenForAScan) {
    TempDir dir;
    const auto config = write_site_config(dir, (dir / "data").string());
    // 120 ms between keys: a quick typist, far slower than a scanner.
    const auto r = run_script(dir, config,
                              "wait welcome\n"
                              "keys 120 079090001234\n"
                              "sleep 300\n"
                              "tap feature.identify\n"
                              "wait identify\n"
                              "quit\n",
                              "typing");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err.find("scan received"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("looking_up"), std::string::npos) << r.err;
}

TEST(KioskIdentify, ScanOfSomethingElseIsRefusedWithAMessageAndTryAgainWorks) {
    TempDir dir;
    const auto config = write_site_config(dir, (dir / "data").string());
    const auto r = run_script(dir, config,
                              "wait welcome\n"
                              "scan https://example.com/not-a-citizen-card\n"
                              "wait id_rejected\n"
                              "screenshot " +
                                  (dir / "rejected.png").string() +
                                  "\n"
                                  "tap retry\n"
                                  "wait identify\n"
                                  "tap identify.type_cccd\n"
                                  "wait enter_number\n"
                                  "type 07909000123\n" // 11 digits: refused on the keypad, digits kept
                                  "tap key.ok\n"
                                  "tap key.4\n"
                                  "tap key.ok\n"
                                  "wait not_found\n"
                                  "quit\n",
                              "rejected");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(std::filesystem::exists(dir / "rejected.png"));
    EXPECT_NE(r.err.find("screen enter_number -> looking_up"), std::string::npos) << r.err;
}

TEST(KioskIdentify, LandscapeScreenHasEveryControlOfTheFormOnScreen) {
    TempDir dir;
    const auto config = write_site_config(dir, (dir / "data").string());
    // A tap target that does not fit on the screen is not a target: the script would stop there.
    const auto r = run_script(dir, config,
                              "scan " + kQr +
                                  "\nwait not_found\ntap notfound.register\nwait register\ntap sex.female\n"
                                  "tap register.submit\ntap sex.male\ntap field.bhyt\nwait edit_field\n"
                                  "tap key.ok\nwait register\ntap register.submit\nwait greeting\nquit\n",
                              "landscape", "1920x1080");
    ASSERT_EQ(r.status, 0) << r.err;
}

// A kiosk PC with software rendering and a busy CPU: every frame takes 150 ms, far longer than the 60 ms
// that end a scanner's burst. Scans on three screens in a row must still all reach the flow.
TEST(KioskIdentify, ScansArriveWholeWhenEveryFrameIsSlow) {
    TempDir dir;
    const auto config = write_site_config(dir, (dir / "data").string());
    const auto r = run_script(dir, config,
                              "slow-frames 150\n"
                              "wait welcome\n"
                              "scan " +
                                  kQr +
                                  "\n"
                                  "wait not_found\n"
                                  "tap notfound.register\n"
                                  "wait register\n"
                                  "scan " +
                                  kQr +
                                  "\n"
                                  "wait not_found\n"
                                  "tap back\n"
                                  "wait identify\n"
                                  "scan 079090001234\n"
                                  "wait not_found\n"
                                  "quit\n",
                              "slow");
    ASSERT_EQ(r.status, 0) << r.err;
    std::size_t scans = 0;
    for (auto at = r.err.find("scan received"); at != std::string::npos;
         at = r.err.find("scan received", at + 1))
        ++scans;
    EXPECT_EQ(scans, 3u) << r.err;
    EXPECT_EQ(r.err.find("cut short"), std::string::npos) << r.err;
    expect_nothing_personal(r);
}

// A scanner set up without its Enter suffix: the patient is told the card was not read, instead of
// seeing nothing, and IT staff find the hint in the log.
TEST(KioskIdentify, AScanWithoutEnterIsToldToThePatient) {
    TempDir dir;
    const auto config = write_site_config(dir, (dir / "data").string());
    const auto shot = dir / "unreadable.png";
    const auto r = run_script(dir, config,
                              "wait welcome\n"
                              "scan-without-enter " +
                                  kQr +
                                  "\n"
                                  "wait id_rejected\n"
                                  "screenshot " +
                                  shot.string() +
                                  "\n"
                                  "tap retry\n"
                                  "wait identify\n"
                                  "quit\n",
                              "unreadable");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("cut short or had no Enter"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("scan received"), std::string::npos) << r.err;
    EXPECT_TRUE(std::filesystem::exists(shot));
    expect_nothing_personal(r);
}
