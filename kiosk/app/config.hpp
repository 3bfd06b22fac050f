#pragma once
#include "kiosk/core/site.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::app {

// One problem found in a site config, located for the IT admin who has to fix it.
struct ConfigProblem {
    std::string file;  // path as given, or "<embedded demo config>"
    int line = 0;      // 1-based; 0 when the problem is about a missing key (then: the table's line or 0)
    int column = 0;
    std::string key;   // dotted path, e.g. "services[2].prefix"
    std::string message;

    // "site.toml:12:5: services[2].prefix: must be one letter A-Z"
    [[nodiscard]] std::string to_string() const;
};

// The per-site configuration (config/site.example.toml documents every key).
struct SiteConfig {
    core::KioskIdentity kiosk;
    std::string hospital_name;     // shown on the welcome screen (NFC)
    std::string hospital_name_en;  // optional; falls back to hospital_name
    std::vector<std::string> languages{"vi", "en"};  // first one is the default
    int idle_timeout_seconds = 60;
    float ui_scale = 1.0f;
    std::vector<core::Service> services;
    std::string his_base_url;             // unused until the HIS sync issue; "" = none
    std::filesystem::path data_dir;       // where kiosk.db lives
    std::filesystem::path font_regular;   // TTF with Vietnamese glyphs
    std::filesystem::path font_bold;
};

struct ConfigResult {
    std::optional<SiteConfig> config;    // set only when problems is empty
    std::vector<ConfigProblem> problems;
    [[nodiscard]] bool ok() const { return config.has_value(); }
};

// Parses and validates. Never throws for bad input: every problem is collected.
ConfigResult parse_config(std::string_view toml_text, const std::string& source_name);
ConfigResult load_config_file(const std::filesystem::path& file);

// The demo site config compiled into the binary (config/site.example.toml).
std::string_view embedded_demo_config();

// Default data dir when the config names none: /var/lib/kiosk for root, else $XDG_DATA_HOME/kiosk or
// ~/.local/share/kiosk.
std::filesystem::path default_data_dir();

} // namespace kiosk::app
