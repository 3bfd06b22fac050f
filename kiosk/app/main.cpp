// kiosk: the hospital lobby kiosk. See README.md for the two commands and the options.
#include "kiosk/app/config.hpp"
#include "kiosk/app/process.hpp"
#include "kiosk/app/run_kiosk.hpp"
#include "kiosk/app/script.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#ifndef KIOSK_DEFAULT_ASSETS_DIR
#define KIOSK_DEFAULT_ASSETS_DIR "/usr/share/kiosk"
#endif

namespace {

// Each problem once on stderr (the journal under systemd), in the compiler-like form editors understand.
int report_config_problems(const kiosk::app::ConfigResult& result) {
    for (const auto& p : result.problems)
        std::fprintf(stderr, "%s\n", p.to_string().c_str());
    return 2;
}

// An installed kiosk (<prefix>/bin/kiosk) finds <prefix>/share/kiosk; a build-tree kiosk, the source assets.
std::filesystem::path default_assets_dir() {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const auto installed = exe.parent_path().parent_path() / "share" / "kiosk";
        if (std::filesystem::exists(installed / "i18n", ec)) return installed;
    }
    return KIOSK_DEFAULT_ASSETS_DIR;
}

std::optional<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace

int main(int argc, char** argv) {
    using namespace kiosk::app;
    harden_process(); // before any thread, SDL or curl exists: no core dumps, no TLS key log, umask 077
    Options options;  // process_start: as early as main can take it

    CLI::App cli{"Hospital lobby kiosk"};
    std::string config_file, check_file, windowed, script_file, script_inline, screenshot, assets,
        log_level = "info";
    cli.add_option("--config", config_file, "Site config (TOML); default: the embedded demo config");
    cli.add_option("--check-config", check_file, "Validate a site config, print every problem, and exit");
    cli.add_option("--windowed", windowed,
                   "Run in a window of WxH pixels instead of fullscreen (e.g. 1080x1920)");
    cli.add_flag("--headless", options.headless,
                 "No display needed: SDL offscreen driver, software renderer");
    cli.add_option("--script", script_file,
                   "Run scripted taps/screenshots from a file (see kiosk/app/script.hpp)");
    cli.add_option("--do", script_inline, "Scripted steps inline, separated by ';'");
    cli.add_option("--screenshot", screenshot,
                   "After the script (if any), write a PNG of the screen and quit");
    cli.add_option("--assets", assets,
                   "Assets dir (string catalogs); default: <prefix>/share/kiosk or the source tree");
    cli.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();
    cli.add_flag("--announce-ready", options.announce_ready,
                 "Print KIOSK_READY <ms> at the first interactive frame");
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help prints and exits 0; any other option mistake is exit status 2, as README.md says.
        return cli.exit(e) == 0 ? 0 : 2;
    }

    // spdlog reads an unknown level as "off": a typo would silence the log, so it is refused.
    constexpr std::array<const char*, 5> kLevels{"trace", "debug", "info", "warn", "error"};
    if (std::find(kLevels.begin(), kLevels.end(), log_level) == kLevels.end()) {
        std::fprintf(stderr, "kiosk: --log-level must be one of trace, debug, info, warn, error (got '%s')\n",
                     log_level.c_str());
        return 2;
    }
    spdlog::set_default_logger(spdlog::stderr_color_mt("kiosk"));
    spdlog::set_level(spdlog::level::from_str(log_level));

    if (!check_file.empty()) {
        const auto result = load_config_file(check_file);
        if (!result.ok()) return report_config_problems(result);
        const SiteConfig& c = *result.config;
        std::printf("%s: OK (site %s, kiosk %s, %zu services)\n", check_file.c_str(),
                    c.identity.kiosk.site_id.c_str(), c.identity.kiosk.kiosk_id.c_str(), c.services.size());
        // What a patient's banking app will show as the receiver: worth a second look before deploying.
        if (c.payment.enabled())
            std::printf("payments go to %s (BIN %s), %s %s, %s\n", c.payment.account.bank_name.c_str(),
                        c.payment.account.bin.c_str(),
                        c.payment.account.service == kiosk::core::vietqr::Service::ToCard ? "card"
                                                                                          : "account",
                        c.payment.account.account.c_str(), c.payment.account.account_name.c_str());
        return 0;
    }

    const auto result = config_file.empty() ? parse_config(embedded_demo_config(), "<embedded demo config>")
                                            : load_config_file(config_file);
    if (!result.ok()) {
        spdlog::error("refusing to start: {} problem(s) in the site config {}", result.problems.size(),
                      config_file.empty() ? "<embedded demo config>" : config_file);
        return report_config_problems(result);
    }

    if (!windowed.empty()) {
        Options::Size size;
        char x = 0;
        std::istringstream in(windowed);
        if (!(in >> size.w >> x >> size.h) || x != 'x' || size.w < 320 || size.h < 320) {
            std::fprintf(stderr, "kiosk: --windowed wants WxH, e.g. 1080x1920 (got '%s')\n",
                         windowed.c_str());
            return 2;
        }
        options.windowed = size;
    }

    ScriptParse script;
    if (!script_file.empty()) {
        const auto text = read_file(script_file);
        if (!text) {
            std::fprintf(stderr, "kiosk: cannot read script %s\n", script_file.c_str());
            return 2;
        }
        script = parse_script(*text, script_file);
    }
    if (!script_inline.empty()) {
        auto more = parse_script(script_inline, "--do");
        script.steps.insert(script.steps.end(), more.steps.begin(), more.steps.end());
        script.errors.insert(script.errors.end(), more.errors.begin(), more.errors.end());
    }
    if (!screenshot.empty()) {
        auto more = parse_script("screenshot " + screenshot + "; quit", "--screenshot");
        script.steps.insert(script.steps.end(), more.steps.begin(), more.steps.end());
    }
    for (const auto& e : script.errors)
        std::fprintf(stderr, "%s\n", e.c_str());
    if (!script.errors.empty()) return 2;
    options.script = std::move(script.steps);
    options.assets_dir = assets.empty() ? default_assets_dir() : std::filesystem::path(assets);

    const SiteConfig& config = *result.config;
    try {
        prepare_data_dir(config.storage.data_dir);
        const auto made_private =
            restrict_data_dir(config.storage.data_dir); // refuses /tmp before creating in it
        lock_data_dir(
            config.storage.data_dir); // before the log: a second kiosk must not write into this one's files
        auto file_sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
            (config.storage.data_dir / "kiosk.log").string(), 5 * 1024 * 1024, 3);
        spdlog::default_logger()->sinks().push_back(file_sink);
        // A power cut or SIGKILL keeps what was logged: warnings and errors at once, the rest within 1 s.
        spdlog::flush_on(spdlog::level::warn);
        spdlog::flush_every(std::chrono::seconds(1));
        spdlog::info("kiosk {} starting: site {}, kiosk {}, data dir {}", KIOSK_VERSION,
                     config.identity.kiosk.site_id, config.identity.kiosk.kiosk_id,
                     config.storage.data_dir.string());
        spdlog::info("{}", hardening_summary());
        for (const auto& line : made_private)
            spdlog::warn("{}", line);
        return run_kiosk(config, options);
    } catch (const StartupError& e) {
        std::fprintf(stderr, "kiosk: cannot start: %s\n", e.what());
        spdlog::error("cannot start: {}", e.what());
        return 3;
    }
}
