#pragma once
// The kiosk put together: the SDL shell (shell.hpp) runs the app (kiosk_app.hpp), whose effects the
// runner (effect_runner.hpp) hands to the workers (backend.hpp), with the HIS wired once (his_wiring.hpp)
// and, for tests and benchmarks, the script driver (script_driver.hpp) at the controls.
#include "kiosk/app/config.hpp"
#include "kiosk/app/script.hpp"
#include "kiosk/app/startup_error.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <vector>

namespace kiosk::app {

struct Options {
    struct Size {
        int w = 0, h = 0;
    };
    std::optional<Size> windowed;     // fullscreen when empty
    bool headless = false;            // SDL offscreen driver + software renderer, no display needed
    std::vector<ScriptStep> script;   // scripted taps/screenshots (tests, docs, benchmarks)
    std::filesystem::path assets_dir; // i18n catalogs, icons
    bool announce_ready = false;      // print "KIOSK_READY <ms>" on stdout at the first interactive frame
    std::chrono::steady_clock::time_point process_start = std::chrono::steady_clock::now();
};

// Opens the window and runs the kiosk until quit. Returns the process exit status.
// Throws StartupError for a problem that stops the kiosk before it can serve anyone.
int run_kiosk(const SiteConfig& config, const Options& options);

// Creates the data dir if needed and proves it is writable; throws StartupError naming it otherwise.
void prepare_data_dir(const std::filesystem::path& dir);

} // namespace kiosk::app
