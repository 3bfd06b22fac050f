// Start-up hardening pieces that need no kiosk process (the rest: tests/app/kiosk_hardening_e2e_test.cpp).
#include "kiosk/app/process.hpp"
#include "kiosk/app/startup_error.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <functional>
#include <string>

namespace {

namespace fs = std::filesystem;
using kiosk::app::StartupError;

std::string startup_error(const std::function<void()>& f) {
    try {
        f();
    } catch (const StartupError& e) {
        return e.what();
    }
    return "(no StartupError)";
}

TEST(DataDirLock, ASecondLockOnTheSameDirIsRefusedNamingTheHolder) {
    kiosk::test::TempDir dir;
    kiosk::app::lock_data_dir(dir.path()); // held until this test process ends, as in the kiosk
    const std::string message = startup_error([&] { kiosk::app::lock_data_dir(dir.path()); });
    EXPECT_NE(message.find("another kiosk (pid " + std::to_string(::getpid()) +
                           ") is already running on the "
                           "data dir " +
                           dir.path().string()),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("give each kiosk its own data_dir"), std::string::npos) << message;
}

TEST(DataDirModes, ASharedStickyDirectoryIsRefusedUntouched) {
    kiosk::test::TempDir dir;
    const auto shared = dir / "shared";
    fs::create_directories(shared);
    fs::permissions(shared, fs::perms(01777));
    const std::string message = startup_error([&] { (void)kiosk::app::restrict_data_dir(shared); });
    EXPECT_NE(message.find("is a directory shared by every user (like /tmp)"), std::string::npos) << message;
    EXPECT_EQ(fs::status(shared).permissions(), fs::perms(01777));
}

TEST(DataDirModes, OnlyTheKiosksFilesAreTightenedAndEachChangeIsReported) {
    kiosk::test::TempDir dir;
    const auto data = dir / "data";
    fs::create_directories(data / "sub");
    for (const char* name : {"kiosk.db", "kiosk.db-wal", "other.txt"})
        std::ofstream(data / name) << "x";
    for (const char* name : {"kiosk.db", "kiosk.db-wal", "other.txt"})
        fs::permissions(data / name, fs::perms(0644));
    fs::permissions(data, fs::perms(0750));
    const auto changed = kiosk::app::restrict_data_dir(data);
    EXPECT_EQ(changed.size(), 3u);
    EXPECT_EQ(fs::status(data).permissions(), fs::perms(0700));
    EXPECT_EQ(fs::status(data / "kiosk.db").permissions(), fs::perms(0600));
    EXPECT_EQ(fs::status(data / "kiosk.db-wal").permissions(), fs::perms(0600));
    EXPECT_EQ(fs::status(data / "other.txt").permissions(), fs::perms(0644)); // not the kiosk's
    EXPECT_TRUE(kiosk::app::restrict_data_dir(data).empty());                 // nothing left to do
}

} // namespace
