// The real kiosk binary as a process on a machine that holds patient data: what it leaves on disk after a
// power cut (SIGKILL), the modes of its files, core dumps, one kiosk per data dir, TLS key logs, and
// command-line mistakes ending in one clear message.
#include "his/fault_server.hpp"
#include "his/test_cert.hpp"
#include "kiosk_process.hpp"

#include <gtest/gtest.h>

#include <fstream>

using namespace kiosk::test;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::vector<std::string> kiosk_args(const std::filesystem::path& config) {
    return {"--headless", "--windowed", "1080x1920", "--config", config.string()};
}

// The line of /proc/<pid>/limits for `name`, e.g. "Max core file size        0        0        bytes".
std::string limits_line(pid_t pid, const std::string& name) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
    std::string line;
    while (std::getline(in, line))
        if (line.starts_with(name)) return line;
    return {};
}

KioskProcess::Setup setup(void (*edit)(KioskProcess::Setup&)) {
    KioskProcess::Setup s;
    edit(s);
    return s;
}

constexpr const char* kReady = "ready: first interactive frame";

} // namespace

TEST(KioskProcessLog, WarningsAndInfoLinesAreInTheLogWhileTheKioskRunsAndSurviveASigkill) {
    TempDir dir;
    const auto data = dir / "data";
    std::filesystem::create_directories(data);
    std::filesystem::permissions(data, std::filesystem::perms(0755)); // logs a warning when made private
    const auto config = write_site_config(dir, data.string());
    const auto log = data / "kiosk.log";
    KioskProcess kiosk(kiosk_args(config), dir.path(), {});

    // The warning at once, the info lines within a second: both are in the file while the kiosk runs.
    EXPECT_TRUE(eventually([&] { return contains(read_text(log), "was readable by other users"); }))
        << read_text(log) << kiosk.err();
    EXPECT_TRUE(eventually([&] { return contains(read_text(log), kReady); }))
        << read_text(log) << kiosk.err();
    const int status = kiosk.kill_and_wait(SIGKILL);
    EXPECT_TRUE(WIFSIGNALED(status));

    const std::string after = read_text(log);
    EXPECT_TRUE(contains(after, "starting: site BVDK-DEMO")) << after;
    EXPECT_TRUE(contains(after, "was readable by other users")) << after;
    EXPECT_TRUE(contains(after, kReady)) << after;
}

TEST(KioskProcessFiles, UnderUmask022TheDataDirIs0700AndEveryFileInIt0600) {
    TempDir dir;
    const auto data = dir / "data";
    const auto config = write_site_config(dir, data.string());
    KioskProcess kiosk(kiosk_args(config), dir.path(), setup([](auto& s) { s.umask = 022; }));
    ASSERT_TRUE(eventually([&] {
        return contains(read_text(data / "kiosk.log"), kReady) &&
               std::filesystem::exists(data / "kiosk.db-wal");
    })) << kiosk.err();
    EXPECT_EQ(mode_of(data), 0700);
    for (const char* name : {"kiosk.db", "kiosk.db-wal", "kiosk.db-shm", "kiosk.log", "kiosk.lock"})
        EXPECT_EQ(mode_of(data / name), 0600) << name;
}

TEST(KioskProcessFiles, AnExistingWorldReadableDataDirAndItsFilesAreMadePrivate) {
    TempDir dir;
    const auto data = dir / "data";
    std::filesystem::create_directories(data);
    write_text(data / "kiosk.log", "an old line\n");
    write_text(data / "kiosk.1.log", "an older line\n");
    std::filesystem::permissions(data, std::filesystem::perms(0755));
    std::filesystem::permissions(data / "kiosk.log", std::filesystem::perms(0644));
    std::filesystem::permissions(data / "kiosk.1.log", std::filesystem::perms(0664));
    const auto config = write_site_config(dir, data.string());
    auto args = kiosk_args(config);
    args.insert(args.end(), {"--do", "quit"});
    KioskProcess kiosk(args, dir.path(), setup([](auto& s) { s.umask = 022; }));
    const int status = kiosk.wait();
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << kiosk.err();
    EXPECT_EQ(mode_of(data), 0700);
    for (const char* name : {"kiosk.db", "kiosk.log", "kiosk.1.log", "kiosk.lock"})
        EXPECT_EQ(mode_of(data / name), 0600) << name;
    const std::string log = read_text(data / "kiosk.log");
    EXPECT_TRUE(contains(log, "an old line")) << log; // tightened, not replaced
    EXPECT_TRUE(
        contains(log, (data / "kiosk.1.log").string() + " was readable by other users (mode 0664): now 0600"))
        << log;
}

TEST(KioskProcessCore, TheRunningKioskIsNotDumpableAndDumpsNoCore) {
    TempDir dir;
    const auto data = dir / "data";
    const auto config = write_site_config(dir, data.string());
    // The kiosk is allowed core dumps from outside (core_pattern "core" writes into its working dir).
    KioskProcess kiosk(kiosk_args(config), dir.path(), setup([](auto& s) { s.core_dumps_allowed = true; }));
    ASSERT_TRUE(eventually([&] { return contains(read_text(data / "kiosk.log"), kReady); })) << kiosk.err();
    EXPECT_TRUE(contains(read_text(data / "kiosk.log"), "core dumps are off (dumpable 0, core size limit 0)"))
        << read_text(data / "kiosk.log");
    const std::string limit = limits_line(kiosk.pid(), "Max core file size");
    EXPECT_TRUE(limit.starts_with("Max core file size")) << limit;
    EXPECT_EQ(limit.find_first_of("123456789"), std::string::npos) << limit; // soft and hard limit 0

    const int status = kiosk.kill_and_wait(SIGQUIT); // default action: terminate with a core dump
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGQUIT);
    EXPECT_FALSE(WCOREDUMP(status));
    for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
        EXPECT_FALSE(entry.path().filename().string().starts_with("core")) << entry.path();
}

TEST(KioskProcessLock, ASecondKioskOnTheSameDataDirIsRefusedAndTheFirstKeepsServing) {
    TempDir dir;
    const auto data = dir / "data";
    const auto config = write_site_config(dir, data.string());
    KioskProcess first(kiosk_args(config), dir.path(), setup([](auto& s) { s.name = "first"; }));
    ASSERT_TRUE(eventually([&] { return contains(read_text(data / "kiosk.log"), kReady); })) << first.err();

    const auto second =
        run_kiosk("--headless --config " + shell_quote(config.string()) + " --do quit", dir.path());
    EXPECT_EQ(second.status, 3) << second.err;
    EXPECT_TRUE(contains(second.err, "another kiosk (pid " + std::to_string(first.pid()) + ")"))
        << second.err;
    EXPECT_TRUE(contains(second.err, "is already running on the data dir " + data.string())) << second.err;
    EXPECT_FALSE(first.ended());
    // The refused kiosk wrote nothing into the running kiosk's log.
    const std::string log = read_text(data / "kiosk.log");
    EXPECT_EQ(log.find("starting:"), log.rfind("starting:")) << log;

    first.kill_and_wait(SIGKILL); // a power cut: the kernel drops the lock with the process
    const auto after =
        run_kiosk("--headless --config " + shell_quote(config.string()) + " --do quit", dir.path());
    EXPECT_EQ(after.status, 0) << after.err;
}

TEST(KioskProcessTls, SslKeyLogFileInTheEnvironmentGetsNoTlsSecrets) {
    TempDir dir;
    const auto cert = make_self_signed_cert("127.0.0.1", "IP:127.0.0.1");
    cert.write_pem(dir / "ca.pem");
    HttpTestServer his(std::make_unique<httplib::SSLServer>(cert.cert.get(), cert.key.get()));
    const auto busy = his.record([](const httplib::Request&, httplib::Response& res) {
        res.status = 503;
        res.set_header("Retry-After", "3600");
    });
    his.server().Get(".*", busy);
    his.server().Post(".*", busy);
    his.start();
    const auto data = dir / "data";
    const auto config = write_site_config(
        dir, data.string(),
        {{"\nbase_url = \"\"", "\nidentifier_base = \"https://bvdk-test.vn/fhir/sid/\"\nbase_url = \"" +
                                   his.url("/fhir", "https") + "\"\nca_bundle = \"" +
                                   (dir / "ca.pem").string() + "\""}});
    const auto keys = dir / "tls-keys.log";
    KioskProcess::Setup with_key_log;
    with_key_log.env = {{"SSLKEYLOGFILE", keys.string()}};
    KioskProcess kiosk(kiosk_args(config), dir.path(), with_key_log);
    // A request arriving proves the TLS handshake, where libcurl would have written the session secrets.
    ASSERT_TRUE(eventually([&] { return !his.received().empty(); })) << kiosk.err();
    kiosk.kill_and_wait(SIGKILL);
    EXPECT_FALSE(std::filesystem::exists(keys)) << read_text(keys);
}

TEST(KioskProcessScreenshot, AScreenshotThatCannotBeWrittenFailsWithTheReason) {
    TempDir dir;
    const auto config = write_site_config(dir, (dir / "data").string());
    const auto no_dir = run_kiosk("--headless --config " + shell_quote(config.string()) +
                                      " --screenshot /proc/self/nope/x.png",
                                  dir.path());
    EXPECT_EQ(no_dir.status, 4) << no_dir.err;
    EXPECT_TRUE(contains(no_dir.err, "cannot create the folder of screenshot /proc/self/nope/x.png"))
        << no_dir.err;

    const auto full = run_kiosk(
        "--headless --config " + shell_quote(config.string()) + " --screenshot /dev/full", dir.path());
    EXPECT_EQ(full.status, 4) << full.err;
    EXPECT_TRUE(contains(full.err, "cannot write screenshot /dev/full: No space left on device")) << full.err;
}

TEST(KioskCommandLine, AnUnknownLogLevelIsRefused) {
    TempDir dir;
    const auto config = write_site_config(dir, (dir / "data").string());
    const auto r = run_kiosk(
        "--headless --config " + shell_quote(config.string()) + " --log-level bogus --do quit", dir.path());
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(r.err, "--log-level must be one of trace, debug, info, warn, error (got 'bogus')"))
        << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "data" / "kiosk.db"));
}

TEST(KioskCommandLine, AnUnknownOptionIsExitStatus2AndHelpIs0) {
    TempDir dir;
    const auto r = run_kiosk("--headless --no-such-option", dir.path());
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(r.err, "--no-such-option")) << r.err;
    const auto help = run_kiosk("--help", dir.path());
    EXPECT_EQ(help.status, 0) << help.err;
    EXPECT_TRUE(contains(help.out, "--check-config")) << help.out;
}

TEST(KioskCommandLine, CheckConfigOfAnEndlessFileStopsAtTheSizeLimit) {
    TempDir dir;
    const auto r = run_kiosk("--check-config /dev/zero", dir.path());
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(r.err, "/dev/zero: is larger than 1024 KiB")) << r.err;
}
