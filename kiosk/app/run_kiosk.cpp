#include "kiosk/app/run_kiosk.hpp"

#include "kiosk/app/backend.hpp"
#include "kiosk/app/frame_stats.hpp"
#include "kiosk/app/his_wiring.hpp"
#include "kiosk/app/idle_timer.hpp"
#include "kiosk/app/kiosk_app.hpp"
#include "kiosk/app/script_driver.hpp"
#include "kiosk/app/shell.hpp"
#include "kiosk/app/work_queue.hpp"
#include "kiosk/store/database.hpp"
#include "kiosk/ui/i18n.hpp"
#include "kiosk/ui/screens.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <system_error>

namespace kiosk::app {
namespace {

using Clock = std::chrono::steady_clock;

ui::Language language_of(const std::string& code) {
    return code == "en" ? ui::Language::En : ui::Language::Vi;
}

ui::SiteView site_view(const SiteConfig& c) {
    ui::SiteView v;
    v.hospital_name = c.identity.hospital_name;
    v.hospital_name_en = c.identity.hospital_name_en;
    v.kiosk_id = c.identity.kiosk.kiosk_id;
    v.services = c.services;
    v.utc_offset_minutes = c.identity.kiosk.utc_offset_minutes;
    v.bilingual = c.display.languages.size() > 1;
    return v;
}

// The app's settings from the site config, read here only (the idle limit among them).
KioskApp::Setup app_setup(const SiteConfig& c) {
    KioskApp::Setup s;
    s.language = language_of(c.display.languages.front());
    s.site = site_view(c);
    s.utc_offset_minutes = c.identity.kiosk.utc_offset_minutes;
    s.idle_limit = std::chrono::seconds(c.display.idle_timeout_seconds);
    if (c.payment.enabled()) {
        ui::PaymentSettings p;
        p.account = c.payment.account;
        p.code_valid = std::chrono::minutes(c.payment.code_valid_minutes);
        s.payment = p;
    }
    return s;
}

int run(const SiteConfig& config, const Options& options) {
    Shell shell(Shell::Setup{config.display.font_regular, config.display.font_bold, config.display.ui_scale},
                options);
    MainQueue main_queue([&shell] { shell.wake(); });
    // Before the backend: its workers use them until they have joined.
    core::SystemClock wall;
    SteadyClock monotonic;
    KioskApp* app_ptr = nullptr; // the sync's statuses reach the app on the UI thread, once it exists
    // The database opens on the store worker while the window and fonts come up.
    Backend backend(config);

    const auto t_start = Clock::now();
    ui::Catalogs catalogs;
    try {
        catalogs = ui::Catalogs::load(options.assets_dir);
    } catch (const ui::CatalogError& e) {
        throw StartupError(e.what());
    }
    const auto t_catalogs = Clock::now();
    KioskApp::Setup setup = app_setup(config);
    shell.open(ui::texts_for_glyphs(catalogs, setup.site));
    backend.wait_until_open();
    const auto t_db = Clock::now();

    const std::optional<HisWiring> his = HisWiring::from(config, backend.stop_flag());
    setup.his_configured = his.has_value();
    backend.start(his, [&main_queue, &app_ptr](const sync::SyncStatus& st, std::uint64_t seen) {
        main_queue.post([&app_ptr, st, seen] {
            if (app_ptr) app_ptr->on_sync_status(st, seen);
        });
    });

    KioskApp app(
        setup, std::move(catalogs), KioskApp::Clocks{wall, monotonic},
        EffectRunner::Ports{backend, backend, backend, backend.sync_kicker(), backend.bills(), &backend},
        EffectRunner::Executors{backend.store_worker(), backend.lookup_worker(), main_queue},
        config.services);
    app_ptr = &app;
    spdlog::debug(
        "start-up: before run {:.1f} ms, catalogs {:.1f} ms, window {:.1f} ms, then fonts {:.1f} ms, "
        "waiting for the database {:.1f} ms",
        ms_between(options.process_start, t_start), ms_between(t_start, t_catalogs),
        ms_between(t_catalogs, shell.window_ready_at()),
        ms_between(shell.window_ready_at(), shell.fonts_ready_at()),
        ms_between(shell.fonts_ready_at(), t_db));

    std::optional<ScriptDriver> script;
    if (!options.script.empty()) script.emplace(options.script, shell, app);
    const int status = shell.run(
        app, [&main_queue] { return main_queue.drain(); }, script ? &*script : nullptr);
    app_ptr = nullptr;
    return status;
}

} // namespace

void prepare_data_dir(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw StartupError("cannot create data dir " + dir.string() + ": " + ec.message());
    // A probe written with POSIX calls, so errno tells a full disk from a permission problem (no fsync:
    // start-up stays quick, and SQLite's own writes name a disk that fills later).
    const auto probe = dir / ".write-test";
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int err = fd < 0 ? errno : 0;
    if (fd >= 0) {
        if (::write(fd, "ok", 2) != 2) err = errno != 0 ? errno : ENOSPC; // short: no room for the 2nd byte
        ::close(fd);
    }
    std::filesystem::remove(probe, ec);
    if (store::is_disk_full_errno(err))
        throw StartupError("data dir " + dir.string() +
                           " cannot be written: " + store::disk_full_message(dir, err));
    if (err != 0)
        throw StartupError("data dir " + dir.string() + " is not writable (" +
                           std::generic_category().message(err) +
                           "; fix its permissions or set data_dir in the site config)");
}

int run_kiosk(const SiteConfig& config, const Options& options) {
    prepare_data_dir(config.storage.data_dir);
    try {
        ui::check_font_file(config.display.font_regular);
        ui::check_font_file(config.display.font_bold);
    } catch (const ui::FontError& e) {
        throw StartupError(e.what());
    }
    return run(config, options);
}

} // namespace kiosk::app
