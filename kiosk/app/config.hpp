#pragma once
#include "kiosk/core/bank_list.hpp"
#include "kiosk/core/identifier_systems.hpp"
#include "kiosk/core/payment.hpp"
#include "kiosk/core/site.hpp"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiosk::app {

// One problem found in a site config, located for the IT admin who has to fix it.
struct ConfigProblem {
    std::string file; // path as given, or "<embedded demo config>"
    int line = 0;     // 1-based; 0 when the problem is about a missing key (then: the table's line or 0)
    int column = 0;
    std::string key; // dotted path, e.g. "services[2].prefix"; indices are 1-based (the 2nd [[services]]);
                     // "" for the file as a whole (unreadable, syntax error, invalid UTF-8 outside a value)
    std::string message;

    // "site.toml:12:5: services[2].prefix: must be one letter A-Z"; ":5" is left out when column is 0,
    // ":12:5" when line is 0, "services[2].prefix: " when key is empty.
    [[nodiscard]] std::string to_string() const;
};

// The per-site configuration (config/site.example.toml documents every key), one struct per TOML table.
// A later feature adds its own table as one struct here, one parse function in config.cpp and one table in
// site.example.toml; the tables still to come are [printer] (ticket printer), [audio] (voice prompts)
// and [admin] (staff mode). None exists before it has keys.

// [identity]: who this kiosk is.
struct IdentityConfig {
    core::KioskIdentity kiosk;    // site_id, kiosk_id, kiosk_letter, utc_offset
    std::string hospital_name;    // shown on the welcome screen (NFC)
    std::string hospital_name_en; // optional; falls back to hospital_name
};

// [display]: what the patient sees.
struct DisplayConfig {
    std::vector<std::string> languages{"vi", "en"}; // first one is the default
    int idle_timeout_seconds = 60;
    float ui_scale = 1.0f;
    std::filesystem::path font_regular; // TTF with Vietnamese glyphs
    std::filesystem::path font_bold;
};

// [storage]: what the kiosk keeps, where, and for how long.
struct StorageConfig {
    std::filesystem::path data_dir; // where kiosk.db lives
    // Patients the kiosk learnt from the HIS, and registrations the HIS has received, are forgotten after
    // this many days (personal data is kept no longer than needed).
    int patient_cache_days = 30;
};

// [his]: how to reach the hospital information system.
struct HisConfig {
    std::string base_url;            // FHIR R4 base of the HIS; "" = no sync (records wait in the outbox)
    std::filesystem::path ca_bundle; // CA certificates for the HIS's TLS; empty = the system's store
    std::string token_url;           // OAuth2 client-credentials token endpoint; "" = no OAuth2
    std::string client_id;           // OAuth2 client id of this kiosk
    std::filesystem::path client_secret_file; // file holding only the client secret
    // The total wait for the HIS's answer to a patient lookup (token fetch included); then the patient is
    // told the hospital could not be asked.
    int lookup_timeout_seconds = 3;
    // Identifier systems the HIS stores citizen-ID (CCCD) and health-insurance (BHYT) numbers under.
    std::string cccd_system = core::kDefaultCccdSystem;
    std::string bhyt_system = core::kDefaultBhytSystem;
    // The hospital's namespace for the kiosk's own identifiers (tickets, registrations): an absolute
    // http(s) URI ending in '/', e.g. "https://bvdk-qn.vn/fhir/sid/"; required with a HIS.
    std::string identifier_base;
};

// [sync]: the pace of the background exchange with the HIS.
struct SyncConfig {
    int batch_size = 50;                // outbox records per request when many wait
    int retry_first_seconds = 2;        // the wait before the first retry of a failed delivery ...
    int retry_max_seconds = 300;        // ... doubling up to this (with jitter)
    int reference_download_minutes = 5; // how often departments, practitioners and slots are refreshed
};

// [payment]: where patients' VietQR payments go (docs/payments.md). No bin: payment at the kiosk is off.
struct PaymentConfig {
    core::PaymentAccount account; // bank_name filled from the NAPAS member list
    // The identifier system of the HIS's bill numbers on its Invoices; "" = the Invoice's first identifier.
    std::string bill_number_system;
    int code_valid_minutes = 10; // how long one code is shown; then the patient starts the payment again

    [[nodiscard]] bool enabled() const { return !account.bin.empty(); }
};

struct SiteConfig {
    IdentityConfig identity;
    DisplayConfig display;
    StorageConfig storage;
    HisConfig his;
    SyncConfig sync;
    PaymentConfig payment;
    std::vector<core::Service> services; // [[services]]
};

struct ConfigResult {
    std::optional<SiteConfig> config; // set only when problems is empty
    std::vector<ConfigProblem> problems;
    [[nodiscard]] bool ok() const { return config.has_value(); }
};

inline constexpr std::string_view kEmbeddedConfigName = "<embedded demo config>";
inline constexpr std::string_view kDefaultFontRegular = "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf";
inline constexpr std::string_view kDefaultFontBold = "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf";
inline constexpr std::size_t kMaxServices = 12;
inline constexpr std::size_t kMaxConfigBytes = 1024 * 1024; // larger files are refused unparsed

// Parses and validates. Never throws for bad input: every problem is collected, sorted by line.
// Relative data_dir and font paths are resolved against the current directory.
ConfigResult parse_config(std::string_view toml_text, const std::string& source_name);
// The same, resolving relative data_dir and font paths against base_dir (made absolute first).
ConfigResult parse_config(std::string_view toml_text, const std::string& source_name,
                          const std::filesystem::path& base_dir);
// Reads and parses a file; relative paths in it are resolved against the file's directory.
ConfigResult load_config_file(const std::filesystem::path& file);

// The NAPAS member list compiled into the binary (assets/payment/napas-banks.tsv): [payment] bin is
// checked against it, at start and by --check-config.
const core::BankList& napas_banks();

// The demo site config compiled into the binary (config/site.example.toml).
std::string_view embedded_demo_config();

// Default data dir when the config names none: /var/lib/kiosk for root, else $XDG_DATA_HOME/kiosk or
// ~/.local/share/kiosk.
std::filesystem::path default_data_dir();
// The rule behind default_data_dir(), with its inputs made explicit (null = environment variable unset).
std::filesystem::path default_data_dir_for(bool is_root, const char* xdg_data_home, const char* home);

} // namespace kiosk::app
