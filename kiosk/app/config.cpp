#include "kiosk/app/config.hpp"

#include "kiosk/core/text.hpp"

#include <curl/curl.h>
#include <toml++/toml.h>
#include <utf8proc.h>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <span>
#include <sstream>
#include <system_error>
#include <utility>

namespace kiosk::app {

std::string ConfigProblem::to_string() const {
    std::string out = file;
    if (line > 0) {
        out += ':' + std::to_string(line);
        if (column > 0) out += ':' + std::to_string(column);
    }
    out += ": ";
    if (!key.empty()) out += key + ": ";
    out += message;
    return out;
}

namespace {

// ---- positions --------------------------------------------------------------------------------------

struct Pos {
    int line = 0; // 0 = unknown / whole file
    int column = 0;
    friend auto operator<=>(const Pos&, const Pos&) = default;
};

Pos pos_of(const toml::source_position& p) {
    return {static_cast<int>(p.line), static_cast<int>(p.column)};
}
Pos pos_of(const toml::node& n) {
    return pos_of(n.source().begin);
}
Pos pos_of(const toml::key& k) {
    return pos_of(k.source().begin);
}

// ---- UTF-8 pre-scan ---------------------------------------------------------------------------------
// toml++ rejects a document with invalid UTF-8 as a whole, pointing somewhere near the first bad byte.
// An IT admin is better served by "hospital_name: is not valid UTF-8", so invalid bytes are replaced by
// '?' before parsing, remembered with their position, and reported by the string value that contains
// them (or on their own, e.g. inside a comment). Columns count code points, as toml++ does.

struct BadByte {
    Pos pos;
    unsigned char byte = 0;
    bool reported = false;
};

struct Utf8Scan {
    std::string text; // the input with every invalid byte replaced by '?'
    std::vector<BadByte> bad;
};

Utf8Scan scan_utf8(std::string_view input) {
    Utf8Scan scan{std::string(input), {}};
    std::size_t i = 0;
    if (scan.text.starts_with("\xEF\xBB\xBF")) i = 3; // a BOM occupies no column
    int line = 1;
    int column = 1;
    while (i < scan.text.size()) {
        const auto* at = reinterpret_cast<const utf8proc_uint8_t*>(scan.text.data() + i);
        utf8proc_int32_t cp = 0;
        const auto n = utf8proc_iterate(at, static_cast<utf8proc_ssize_t>(scan.text.size() - i), &cp);
        if (n <= 0) {
            scan.bad.push_back({{line, column}, static_cast<unsigned char>(scan.text[i]), false});
            scan.text[i] = '?';
            ++i;
            ++column;
            continue;
        }
        i += static_cast<std::size_t>(n);
        if (cp == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return scan;
}

// ---- nesting pre-scan -------------------------------------------------------------------------------
// toml++ recurses once per segment of a dotted key and per level of nested arrays and inline tables: a
// hostile file ("a.a.a..." with 40,000 segments) overflows the stack before any value is checked. A site
// config is a few levels deep, so a key with more than kMaxKeyDots dots on one line, or brackets and braces
// nested deeper than kMaxNesting, is refused before parsing. Strings and comments are skipped.

constexpr int kMaxKeyDots = 32;
constexpr int kMaxNesting = 32;

std::optional<std::pair<Pos, std::string>> too_deep(std::string_view text) {
    int line = 1;
    int column = 1;
    int dots = 0; // on this line, outside strings and comments
    int depth = 0;
    std::size_t i = 0;
    const auto advance = [&](std::size_t n) {
        for (std::size_t k = 0; k < n && i < text.size(); ++k, ++i) {
            if (text[i] == '\n') {
                ++line;
                column = 1;
                dots = 0;
            } else if ((static_cast<unsigned char>(text[i]) & 0xC0u) != 0x80u) {
                ++column; // columns count code points
            }
        }
    };
    while (i < text.size()) {
        const char c = text[i];
        if (c == '#') {
            while (i < text.size() && text[i] != '\n')
                advance(1);
            continue;
        }
        if (c == '"' || c == '\'') {
            const bool multi = text.substr(i, 3) == std::string_view(c == '"' ? "\"\"\"" : "\'\'\'");
            const std::size_t open = multi ? 3 : 1;
            advance(open);
            while (i < text.size()) {
                if (c == '"' && text[i] == '\\') {
                    advance(2);
                    continue;
                }
                if (!multi && text[i] == '\n') break; // unterminated: the parser reports it
                const bool closes =
                    text[i] == c && (!multi || (i + 2 < text.size() && text[i + 1] == c && text[i + 2] == c));
                if (closes) {
                    advance(open);
                    break;
                }
                advance(1);
            }
            continue;
        }
        if (c == '.') {
            if (++dots > kMaxKeyDots)
                return std::pair{Pos{line, column}, "more than " + std::to_string(kMaxKeyDots) +
                                                        " dots on one line: keys nested this deep are not a "
                                                        "site config (is this the right file?)"};
        } else if (c == '[' || c == '{') {
            if (++depth > kMaxNesting)
                return std::pair{Pos{line, column}, "brackets nested more than " +
                                                        std::to_string(kMaxNesting) +
                                                        " deep: that is not a site config (is this the right "
                                                        "file?)"};
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
        advance(1);
    }
    return std::nullopt;
}

// ---- small helpers ----------------------------------------------------------------------------------

std::string_view type_name(const toml::node& n) {
    switch (n.type()) {
    case toml::node_type::table:
        return "a table";
    case toml::node_type::array:
        return "an array";
    case toml::node_type::string:
        return "a string";
    case toml::node_type::integer:
        return "an integer";
    case toml::node_type::floating_point:
        return "a floating-point number";
    case toml::node_type::boolean:
        return "a boolean";
    case toml::node_type::date:
        return "a date";
    case toml::node_type::time:
        return "a time";
    case toml::node_type::date_time:
        return "a date-time";
    case toml::node_type::none:
        break;
    }
    return "nothing";
}

std::string not_a(const toml::node& n) {
    return std::string(", not ") + std::string(type_name(n));
}

bool is_upper(char c) {
    return c >= 'A' && c <= 'Z';
}
bool is_lower(char c) {
    return c >= 'a' && c <= 'z';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool all_of_chars(std::string_view s, bool (*ok)(char)) {
    return std::all_of(s.begin(), s.end(), ok);
}

bool is_blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t'; });
}

bool has_control_chars(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7F;
    });
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            const std::size_t cost = core::ascii_lower(a[i - 1]) == core::ascii_lower(b[j - 1]) ? 0 : 1;
            row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + cost});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        c = core::ascii_lower(c);
    return out;
}

// The closest known key, if it is close enough to be a plausible typo.
std::optional<std::string_view> closest_key(std::string_view unknown,
                                            std::span<const std::string_view> known) {
    std::optional<std::string_view> best;
    std::size_t best_distance = 0;
    const std::string u = lower(unknown);
    for (const auto k : known) {
        const std::size_t d = edit_distance(unknown, k);
        const std::string kl = lower(k);
        const bool contained = std::min(u.size(), kl.size()) >= 4 &&
                               (kl.find(u) != std::string::npos || u.find(kl) != std::string::npos);
        const bool close = d <= std::max<std::size_t>(1, k.size() / 3);
        if (!close && !contained) continue;
        if (!best || d < best_distance) {
            best = k;
            best_distance = d;
        }
    }
    return best;
}

// A key as written in a dotted path: bare when possible, else quoted.
std::string key_part(std::string_view k) {
    const bool bare = !k.empty() && std::all_of(k.begin(), k.end(), [](char c) {
        return is_upper(c) || is_lower(c) || is_digit(c) || c == '_' || c == '-';
    });
    if (bare) return std::string(k);
    std::string out = "\"";
    for (const char c : k) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + '"';
}

std::string join_key(std::string_view prefix, std::string_view k) {
    return prefix.empty() ? key_part(k) : std::string(prefix) + '.' + key_part(k);
}

std::string indexed(std::string_view array_key, std::size_t zero_based) {
    return std::string(array_key) + '[' + std::to_string(zero_based + 1) + ']';
}

std::string format_number(double v) {
    std::ostringstream out;
    out << v;
    return out.str();
}

std::string format_offset(int minutes) {
    const int a = minutes < 0 ? -minutes : minutes;
    std::string out = minutes < 0 ? "-" : "+";
    const int h = a / 60;
    const int m = a % 60;
    out += static_cast<char>('0' + h / 10);
    out += static_cast<char>('0' + h % 10);
    out += ':';
    out += static_cast<char>('0' + m / 10);
    out += static_cast<char>('0' + m % 10);
    return out;
}

// A URL as it may be shown: anything between "://" and an '@' before the path replaced by "***".
std::string without_userinfo(const std::string& url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) return url;
    const auto authority = scheme_end + 3;
    const auto path = url.find_first_of("/?#", authority);
    const auto at = url.rfind('@', path == std::string::npos ? std::string::npos : path);
    if (at == std::string::npos || at < authority) return url;
    return url.substr(0, authority) + "***" + url.substr(at);
}

// ---- the schema -------------------------------------------------------------------------------------

// The top level holds only tables (and [[services]]). A new feature's table is one more entry in kRootKeys,
// one key list and one Where below, one section struct in config.hpp and one parse function in Validator.
constexpr std::array<std::string_view, 7> kRootKeys{"identity", "display", "storage", "his",
                                                    "sync",     "payment", "services"};
constexpr std::array<std::string_view, 6> kIdentityKeys{"site_id",       "kiosk_id",         "kiosk_letter",
                                                        "hospital_name", "hospital_name_en", "utc_offset"};
constexpr std::array<std::string_view, 5> kDisplayKeys{"languages", "idle_timeout_seconds", "ui_scale",
                                                       "font_regular", "font_bold"};
constexpr std::array<std::string_view, 2> kStorageKeys{"data_dir", "patient_cache_days"};
constexpr std::array<std::string_view, 9> kHisKeys{
    "base_url",    "ca_bundle",          "token_url",
    "client_id",   "client_secret_file", "cccd_system",
    "bhyt_system", "identifier_base",    "lookup_timeout_seconds"};
constexpr std::array<std::string_view, 4> kSyncKeys{"batch_size", "retry_first_seconds", "retry_max_seconds",
                                                    "reference_download_minutes"};
constexpr std::array<std::string_view, 6> kPaymentKeys{
    "bin", "account", "to", "account_name", "bill_number_system", "code_valid_minutes"};
constexpr std::array<std::string_view, 4> kServiceKeys{"code", "prefix", "name_vi", "name_en"};
constexpr std::array<std::string_view, 2> kLanguages{"vi", "en"};

// Keys of the old layout (before the tables): top-level keys, and the [fonts] table. A site config
// written for an older kiosk names them at their old place; the problem says where each went.
struct MovedKey {
    std::string_view old_key;
    std::string_view table; // the table it went to
    std::string_view note;  // "" or how it is written now
};
constexpr std::array<MovedKey, 12> kMovedKeys{{
    {"site_id", "identity", ""},
    {"kiosk_id", "identity", ""},
    {"kiosk_letter", "identity", ""},
    {"hospital_name", "identity", ""},
    {"hospital_name_en", "identity", ""},
    {"utc_offset", "identity", ""},
    {"languages", "display", ""},
    {"idle_timeout_seconds", "display", ""},
    {"ui_scale", "display", ""},
    {"fonts", "display", "as font_regular and font_bold"},
    {"data_dir", "storage", ""},
    {"patient_cache_days", "storage", ""},
}};

constexpr int kMinIdleSeconds = 15;
constexpr int kMaxIdleSeconds = 3600;
constexpr double kMinUiScale = 0.5;
constexpr double kMaxUiScale = 3.0;
constexpr int kMinOffsetMinutes = -12 * 60;
constexpr int kMaxOffsetMinutes = 14 * 60;
// [sync]: a batch is one HIS request (a FHIR transaction Bundle); retries back off from the first wait to
// the longest; a wait over an hour would leave a ticket unsent for most of a morning.
constexpr int kMaxBatchSize = 500;
constexpr int kMaxRetryFirstSeconds = 600;
constexpr int kMaxRetrySeconds = 3600;
constexpr int kMaxReferenceDownloadMinutes = 24 * 60;

enum class Where { root, identity, display, storage, his, sync, payment, service };

struct TableSchema {
    Where where;
    std::span<const std::string_view> keys;
    std::string_view label; // how the admin sees the table
};

constexpr std::array<TableSchema, 8> kTables{{
    {Where::root, kRootKeys, "the top level"},
    {Where::identity, kIdentityKeys, "[identity]"},
    {Where::display, kDisplayKeys, "[display]"},
    {Where::storage, kStorageKeys, "[storage]"},
    {Where::his, kHisKeys, "[his]"},
    {Where::sync, kSyncKeys, "[sync]"},
    {Where::payment, kPaymentKeys, "[payment]"},
    {Where::service, kServiceKeys, "[[services]]"},
}};

// ---- the validator ----------------------------------------------------------------------------------

enum class Text { nfc, verbatim };

// An identifier system as FHIR searches take it (system|value): a URI without spaces or '|'.
bool identifier_system_ok(std::string_view v) {
    const bool scheme = v.starts_with("urn:") || v.starts_with("http://") || v.starts_with("https://");
    return scheme && v.size() > 6 && v.find_first_of(" |\t\r\n") == std::string_view::npos;
} // paths and URLs are kept byte-for-byte

// The hospital's namespace for the kiosk's own identifiers: an absolute http(s) URI with a host, ending
// in '/', with no spaces, '|', query, fragment or user info (it becomes part of every identifier system).
bool identifier_base_ok(std::string_view v) {
    std::string_view rest;
    if (v.starts_with("https://"))
        rest = v.substr(8);
    else if (v.starts_with("http://"))
        rest = v.substr(7);
    else
        return false;
    const auto slash = rest.find('/');
    return slash != std::string_view::npos && slash > 0 && v.ends_with("/") &&
           v.find_first_of(" |\t\r\n?#@") == std::string_view::npos;
}

class Validator {
public:
    Validator(std::string file, std::vector<BadByte> bad, std::filesystem::path base_dir)
        : file_(std::move(file)), bad_(std::move(bad)), base_dir_(std::move(base_dir)) {}

    void report(Pos at, std::string key, std::string message) {
        problems_.push_back({file_, at.line, at.column, std::move(key), std::move(message)});
    }

    // Invalid UTF-8 bytes no string value claimed (comments, keys, unknown keys' values): one problem per
    // line.
    void report_unclaimed_bad_bytes() {
        int last_line = 0;
        for (auto& b : bad_) {
            if (b.reported) continue;
            b.reported = true;
            if (b.pos.line == last_line) continue;
            last_line = b.pos.line;
            report(b.pos, "", "invalid UTF-8 " + invalid_utf8_detail(b.byte));
        }
    }

    [[nodiscard]] bool has_bad_byte_on_line(int line) const {
        return std::any_of(bad_.begin(), bad_.end(), [line](const BadByte& b) { return b.pos.line == line; });
    }

    std::vector<ConfigProblem> take_problems() {
        std::stable_sort(problems_.begin(), problems_.end(),
                         [](const ConfigProblem& a, const ConfigProblem& b) {
                             return Pos{a.line, a.column} < Pos{b.line, b.column};
                         });
        return std::move(problems_);
    }

    SiteConfig check(const toml::table& root) {
        check_keys(root, Where::root, "");
        SiteConfig cfg;
        cfg.identity = identity(root);
        cfg.display = display(section(root, "display", Where::display));
        cfg.storage = storage(section(root, "storage", Where::storage));
        cfg.his = his(section(root, "his", Where::his));
        cfg.sync = sync(section(root, "sync", Where::sync));
        cfg.payment = payment(section(root, "payment", Where::payment), cfg.his);
        cfg.services = services(root.get("services"));
        return cfg;
    }

private:
    // One parse function per table. Each reads its table (nullptr: the table is absent, all defaults)
    // and reports its own problems under "<table>.<key>".

    // The table `name` of the top level, its keys checked; nullptr when absent or not a table (reported).
    const toml::table* section(const toml::table& root, std::string_view name, Where where) {
        const auto* n = root.get(name);
        if (!n) return nullptr;
        const auto* t = n->as_table();
        if (!t) {
            report(pos_of(*n), std::string(name),
                   "must be a table ([" + std::string(name) + "])" + not_a(*n));
            return nullptr;
        }
        check_keys(*t, where, name);
        return t;
    }

    // A required key of `t` (at the table's line when missing), unless the file has it at its old place
    // (the top level): then the problem that says where it moved is enough.
    std::optional<std::string> required_in(const toml::table& t, const toml::table& root,
                                           std::string_view table, std::string_view name) {
        const std::string key = std::string(table) + "." + std::string(name);
        if (!t.get(name) && root.get(name)) return std::nullopt;
        return required_string(t, name, key, pos_of(t));
    }

    IdentityConfig identity(const toml::table& root) {
        IdentityConfig c;
        const toml::table* t = section(root, "identity", Where::identity);
        if (!t) {
            const bool old_layout = std::any_of(kIdentityKeys.begin(), kIdentityKeys.end(),
                                                [&](std::string_view k) { return root.get(k) != nullptr; });
            if (!old_layout && !root.get("identity"))
                report({}, "identity",
                       "required: add an [identity] table with site_id, kiosk_id, kiosk_letter and "
                       "hospital_name");
            return c;
        }
        if (auto v = required_in(*t, root, "identity", "site_id")) {
            if (v->empty() || v->size() > 32 ||
                !all_of_chars(*v, [](char ch) { return is_upper(ch) || is_digit(ch) || ch == '-'; }))
                report(pos_of(*t->get("site_id")), "identity.site_id",
                       "must be 1-32 characters of A-Z, 0-9 and '-' (e.g. \"BVDK-QN\"), got \"" + *v + "\"");
            else
                c.kiosk.site_id = *v;
        }
        if (auto v = required_in(*t, root, "identity", "kiosk_id")) {
            if (v->empty() || v->size() > 32 || !all_of_chars(*v, [](char ch) {
                    return is_upper(ch) || is_lower(ch) || is_digit(ch) || ch == '-' || ch == '_';
                }))
                report(pos_of(*t->get("kiosk_id")), "identity.kiosk_id",
                       "must be 1-32 characters of A-Z, a-z, 0-9, '-' and '_' (e.g. \"SANH-A-01\"), got \"" +
                           *v + "\"");
            else
                c.kiosk.kiosk_id = *v;
        }
        if (auto v = required_in(*t, root, "identity", "kiosk_letter")) {
            if (v->size() != 1 || !is_upper((*v)[0]))
                report(pos_of(*t->get("kiosk_letter")), "identity.kiosk_letter",
                       "must be exactly one letter A-Z (different for every kiosk of the site), got \"" + *v +
                           "\"");
            else
                c.kiosk.kiosk_letter = (*v)[0];
        }
        if (auto v = required_in(*t, root, "identity", "hospital_name")) {
            if (is_blank(*v))
                report(pos_of(*t->get("hospital_name")), "identity.hospital_name", "must not be empty");
            else
                c.hospital_name = *v;
        }
        if (const auto* n = t->get("hospital_name_en")) {
            if (auto v = string_value(*n, "identity.hospital_name_en")) {
                if (is_blank(*v))
                    report(pos_of(*n), "identity.hospital_name_en",
                           "must not be empty (leave the key out to use hospital_name)");
                else
                    c.hospital_name_en = *v;
            }
        }
        if (c.hospital_name_en.empty()) c.hospital_name_en = c.hospital_name;
        if (const auto* n = t->get("utc_offset"))
            if (auto minutes = utc_offset(*n, "identity.utc_offset")) c.kiosk.utc_offset_minutes = *minutes;
        return c;
    }

    DisplayConfig display(const toml::table* t) {
        DisplayConfig c;
        c.font_regular = std::string(kDefaultFontRegular);
        c.font_bold = std::string(kDefaultFontBold);
        if (!t) return c;
        if (const auto* n = t->get("languages"))
            if (auto langs = languages(*n, "display.languages")) c.languages = std::move(*langs);
        if (const auto* n = t->get("idle_timeout_seconds"))
            if (auto s = whole_number(*n, "display.idle_timeout_seconds", kMinIdleSeconds, kMaxIdleSeconds,
                                      "seconds"))
                c.idle_timeout_seconds = *s;
        if (const auto* n = t->get("ui_scale"))
            if (auto s = ui_scale(*n, "display.ui_scale")) c.ui_scale = *s;
        if (const auto* n = t->get("font_regular"))
            if (auto p = path_value(*n, "display.font_regular")) c.font_regular = *p;
        if (const auto* n = t->get("font_bold"))
            if (auto p = path_value(*n, "display.font_bold")) c.font_bold = *p;
        return c;
    }

    StorageConfig storage(const toml::table* t) {
        StorageConfig c;
        c.data_dir = default_data_dir();
        if (!t) return c;
        if (const auto* n = t->get("data_dir"))
            if (auto p = path_value(*n, "storage.data_dir")) c.data_dir = *p;
        if (const auto* n = t->get("patient_cache_days"))
            if (auto d = whole_number(*n, "storage.patient_cache_days", 1, 3650, "days"))
                c.patient_cache_days = *d;
        return c;
    }

    HisConfig his(const toml::table* t) {
        HisConfig c;
        if (!t) return c;
        if (const auto* u = t->get("base_url")) c.base_url = http_url(*u, "his.base_url").value_or("");
        if (const auto* u = t->get("token_url"))
            c.token_url = http_url(*u, "his.token_url", Scheme::https_or_loopback).value_or("");
        if (const auto* n = t->get("client_id"))
            c.client_id = string_value(*n, "his.client_id", Text::verbatim).value_or("");
        if (const auto* f = t->get("client_secret_file"))
            if (auto p = path_value(*f, "his.client_secret_file"))
                if (readable_file(*f, "his.client_secret_file", *p, "the client secret file", Secret::yes))
                    c.client_secret_file = *p;
        if (!c.token_url.empty() && (!t->get("client_id") || !t->get("client_secret_file")))
            report(pos_of(*t), "his.token_url",
                   "OAuth2 needs client_id and client_secret_file next to token_url in [his]");
        if (const auto* n = t->get("ca_bundle"))
            if (auto p = path_value(*n, "his.ca_bundle"))
                if (readable_file(*n, "his.ca_bundle", *p, "the CA bundle", Secret::no)) c.ca_bundle = *p;
        // A patient waits at the screen for this: long enough for a slow HIS, short enough to bear.
        if (const auto* n = t->get("lookup_timeout_seconds"))
            if (auto v = whole_number(*n, "his.lookup_timeout_seconds", 1, 15, "seconds"))
                c.lookup_timeout_seconds = *v;
        for (auto [key, out] :
             {std::pair{"cccd_system", &c.cccd_system}, std::pair{"bhyt_system", &c.bhyt_system}})
            if (const auto* n = t->get(key)) {
                const std::string name = std::string("his.") + key;
                if (auto v = string_value(*n, name, Text::verbatim)) {
                    if (identifier_system_ok(*v))
                        *out = *v;
                    else
                        report(pos_of(*n), name,
                               "must be the URI the HIS stores these numbers under, starting with urn:, "
                               "http:// or https://, without spaces or '|', e.g. \"urn:oid:2.16.704.1.1.1\"");
                }
            }
        if (const auto* b = t->get("identifier_base")) {
            if (auto v = string_value(*b, "his.identifier_base", Text::verbatim)) {
                if (identifier_base_ok(*v))
                    c.identifier_base = *v;
                else
                    report(
                        pos_of(*b), "his.identifier_base",
                        "must be an absolute http:// or https:// URI under the hospital's own domain, ending "
                        "in '/', without spaces, '|', '?', '#' or user info, e.g. "
                        "\"https://bvdk-qn.vn/fhir/sid/\"");
            }
        } else if (!c.base_url.empty()) {
            report(
                pos_of(*t), "his.identifier_base",
                "is required with base_url: the URI under the hospital's own domain that the kiosk's "
                "ticket and registration identifiers are named under, e.g. \"https://bvdk-qn.vn/fhir/sid/\" "
                "(tell the HIS vendor; never change it later)");
        }
        return c;
    }

    SyncConfig sync(const toml::table* t) {
        SyncConfig c;
        if (!t) return c;
        if (const auto* n = t->get("batch_size"))
            if (auto v = whole_number(*n, "sync.batch_size", 1, kMaxBatchSize, "records")) c.batch_size = *v;
        // The retry waits go together: the longest cannot be shorter than the first. Either is taken only
        // when both are good, so a refused one never pairs the other with a default it was not meant for.
        const auto* first = t->get("retry_first_seconds");
        const auto* max = t->get("retry_max_seconds");
        const std::optional<int> first_s =
            first ? whole_number(*first, "sync.retry_first_seconds", 1, kMaxRetryFirstSeconds, "seconds")
                  : std::optional<int>(c.retry_first_seconds);
        const std::optional<int> max_s =
            max ? whole_number(*max, "sync.retry_max_seconds", 1, kMaxRetrySeconds, "seconds")
                : std::optional<int>(c.retry_max_seconds);
        if (first_s && max_s && *max_s < *first_s) {
            if (max)
                report(pos_of(*max), "sync.retry_max_seconds",
                       "must be at least retry_first_seconds (" + std::to_string(*first_s) + "), got " +
                           std::to_string(*max_s));
            else
                report(pos_of(*first), "sync.retry_first_seconds",
                       "is more than retry_max_seconds (" + std::to_string(*max_s) +
                           " by default): set retry_max_seconds too, at least " + std::to_string(*first_s));
        } else if (first_s && max_s) {
            c.retry_first_seconds = *first_s;
            c.retry_max_seconds = *max_s;
        }
        if (const auto* n = t->get("reference_download_minutes"))
            if (auto v = whole_number(*n, "sync.reference_download_minutes", 1, kMaxReferenceDownloadMinutes,
                                      "minutes"))
                c.reference_download_minutes = *v;
        return c;
    }

    // Everything or nothing: a payment to a half-configured account must never be offered.
    PaymentConfig payment(const toml::table* t, const HisConfig& his) {
        PaymentConfig c;
        if (!t) return c;
        const auto* bin = t->get("bin");
        const auto* account = t->get("account");
        const auto* name = t->get("account_name");
        const std::optional<std::string> bin_v =
            bin ? string_value(*bin, "payment.bin", Text::verbatim) : std::nullopt;
        if (!bin || bin_v == std::optional<std::string>("")) { // payment off: nothing else may be set
            for (const auto& [k, v] : *t)
                if (k.str() != "bin")
                    report(pos_of(k), "payment." + std::string(k.str()),
                           "is set but payment is off: set bin (the hospital's bank) too, or remove it");
            return c;
        }
        if (!bin_v) return c;
        bool good = true;
        const core::Bank* bank = nullptr;
        if (bin_v->size() != 6 || !all_of_chars(*bin_v, is_digit)) {
            report(pos_of(*bin), "payment.bin",
                   "must be the 6-digit NAPAS BIN of the hospital's bank, e.g. \"970436\" (Vietcombank)");
            good = false;
        } else if (bank = napas_banks().find(*bin_v); !bank) {
            report(
                pos_of(*bin), "payment.bin",
                "'" + *bin_v +
                    "' is not in the NAPAS member list (assets/payment/napas-banks.tsv): check the BIN with "
                    "the bank; if NAPAS added it lately, update that file");
            good = false;
        }
        c.account.service = core::vietqr::Service::ToAccount;
        if (const auto* to = t->get("to")) {
            const auto v = string_value(*to, "payment.to", Text::verbatim);
            if (v == std::optional<std::string>("card"))
                c.account.service = core::vietqr::Service::ToCard;
            else if (v != std::optional<std::string>("account")) {
                if (v) report(pos_of(*to), "payment.to", "must be \"account\" or \"card\", got '" + *v + "'");
                good = false;
            }
        }
        if (!account) {
            report(pos_of(*t), "payment.account", "is required with bin: the hospital's account number");
            good = false;
        } else if (auto v = string_value(*account, "payment.account", Text::verbatim)) {
            const bool card = c.account.service == core::vietqr::Service::ToCard;
            const bool ok = card ? v->size() >= 16 && v->size() <= 19 && all_of_chars(*v, is_digit)
                                 : !v->empty() && v->size() <= 19 &&
                                       all_of_chars(*v, [](char ch) { return is_digit(ch) || is_upper(ch); });
            if (ok)
                c.account.account = *v;
            else {
                report(pos_of(*account), "payment.account",
                       card ? "must be the card number, 16 to 19 digits"
                            : "must be the account number: 1 to 19 digits or capital letters A-Z, no spaces");
                good = false;
            }
        } else
            good = false;
        if (!name) {
            report(pos_of(*t), "payment.account_name",
                   "is required with bin: the account holder as the bank shows it, e.g. \"BENH VIEN DA KHOA "
                   "TINH\" (the patient checks it in the banking app before paying)");
            good = false;
        } else if (auto v = string_value(*name, "payment.account_name")) {
            if (is_blank(*v) || v->size() > 70 || has_control_chars(*v)) {
                report(pos_of(*name), "payment.account_name",
                       "must be the account holder's name, 1 to 70 bytes");
                good = false;
            } else
                c.account.account_name = *v;
        } else
            good = false;
        if (const auto* n = t->get("bill_number_system"))
            if (auto v = string_value(*n, "payment.bill_number_system", Text::verbatim)) {
                if (v->empty() || identifier_system_ok(*v))
                    c.bill_number_system = *v;
                else
                    report(pos_of(*n), "payment.bill_number_system",
                           "must be the URI the HIS names its bill numbers under (urn:, http:// or https://, "
                           "without spaces or '|'), or \"\" for the Invoice's first identifier");
            }
        if (const auto* n = t->get("code_valid_minutes"))
            if (auto v = whole_number(*n, "payment.code_valid_minutes", 2, 30, "minutes"))
                c.code_valid_minutes = *v;
        if (his.base_url.empty()) {
            report(pos_of(*bin), "payment.bin",
                   "payment needs the HIS: the bills and their payment come from it; set [his] base_url, or "
                   "remove [payment]");
            good = false;
        }
        if (!good) return PaymentConfig{};
        c.account.bin = *bin_v;
        c.account.bank_name = bank->short_name;
        return c;
    }

    // "(byte 0xE9): save the file as UTF-8, ..."
    static std::string invalid_utf8_detail(unsigned char byte) {
        static constexpr char kHex[] = "0123456789ABCDEF";
        std::string hex = "0x";
        hex += kHex[byte >> 4];
        hex += kHex[byte & 0x0F];
        return "(byte " + hex +
               "): save the file as UTF-8, not in a legacy Vietnamese encoding (TCVN3, VNI, Windows-1258)";
    }

    void check_keys(const toml::table& t, Where where, std::string_view prefix) {
        const TableSchema* schema = nullptr;
        for (const auto& s : kTables)
            if (s.where == where) schema = &s;
        for (const auto& [k, v] : t) {
            const std::string_view name = k.str();
            if (std::find(schema->keys.begin(), schema->keys.end(), name) != schema->keys.end()) continue;
            if (where == Where::root) {
                const auto moved = std::find_if(kMovedKeys.begin(), kMovedKeys.end(),
                                                [name](const MovedKey& m) { return m.old_key == name; });
                if (moved != kMovedKeys.end()) {
                    // An older kiosk's layout: say where the key lives now, so an upgrade is one edit each.
                    std::string message = "moved to [" + std::string(moved->table) + "]";
                    if (!moved->note.empty()) message += " " + std::string(moved->note);
                    report(pos_of(k), join_key(prefix, name), message + " (see site.example.toml)");
                    continue;
                }
            }
            std::string message = "unknown key '" + std::string(name) + "'";
            const TableSchema* elsewhere = nullptr;
            for (const auto& s : kTables)
                if (s.where != where && std::find(s.keys.begin(), s.keys.end(), name) != s.keys.end())
                    elsewhere = &s;
            if (elsewhere && elsewhere->where == Where::root)
                message += " here: '" + std::string(name) + "' is a table of its own: start it with a [" +
                           std::string(name) + "] line (see site.example.toml)";
            else if (elsewhere && elsewhere->where == Where::service)
                message += " here: '" + std::string(name) + "' belongs in a [[services]] entry";
            else if (elsewhere)
                message += " here: '" + std::string(name) + "' belongs in the " +
                           std::string(elsewhere->label) + " table";
            else if (auto guess = closest_key(name, schema->keys))
                message += " \xE2\x80\x94 did you mean '" + std::string(*guess) + "'?";
            else {
                message += " (allowed in " + std::string(schema->label) + ": ";
                for (std::size_t i = 0; i < schema->keys.size(); ++i)
                    message += (i ? ", " : "") + std::string(schema->keys[i]);
                message += ")";
            }
            report(pos_of(k), join_key(prefix, name), std::move(message));
        }
    }

    // Reports (once) invalid UTF-8 inside n's source region; true if there was any.
    bool claim_bad_bytes(const toml::node& n, const std::string& key) {
        const Pos begin = pos_of(n.source().begin);
        const Pos end = pos_of(n.source().end);
        bool found = false;
        for (auto& b : bad_) {
            if (b.pos < begin || !(b.pos < end)) continue;
            if (!found && !b.reported)
                report(b.pos, key, "is not valid UTF-8 " + invalid_utf8_detail(b.byte));
            found = true;
            b.reported = true;
        }
        return found;
    }

    std::optional<std::string> string_value(const toml::node& n, const std::string& key,
                                            Text mode = Text::nfc) {
        const auto* s = n.as_string();
        if (!s) {
            report(pos_of(n), key, "must be a string" + not_a(n) + " (text goes in double quotes)");
            return std::nullopt;
        }
        if (claim_bad_bytes(n, key)) return std::nullopt;
        const std::string& raw = s->get();
        if (has_control_chars(raw)) {
            report(pos_of(n), key, "must not contain control characters (line breaks, tabs, ...)");
            return std::nullopt;
        }
        auto nfc = core::to_nfc(raw); // also the UTF-8 check for text from escapes
        if (!nfc) {
            report(pos_of(n), key, "is not valid UTF-8");
            return std::nullopt;
        }
        return mode == Text::nfc ? std::move(*nfc) : raw;
    }

    std::optional<std::string> required_string(const toml::table& t, std::string_view name,
                                               const std::string& key, Pos table_pos) {
        const auto* n = t.get(name);
        if (!n) {
            report(table_pos, key, "required key is missing");
            return std::nullopt;
        }
        return string_value(*n, key);
    }

    std::optional<std::filesystem::path> path_value(const toml::node& n, const std::string& key) {
        auto v = string_value(n, key, Text::verbatim);
        if (!v) return std::nullopt;
        if (v->empty()) {
            report(pos_of(n), key, "must not be empty (leave the key out to use the default)");
            return std::nullopt;
        }
        std::filesystem::path p(*v);
        if (p.is_relative()) p = base_dir_ / p;
        return p.lexically_normal();
    }

    std::optional<int> utc_offset(const toml::node& n, const std::string& key) {
        auto v = string_value(n, key);
        if (!v) return std::nullopt;
        const std::string& s = *v;
        const bool shape = s.size() == 6 && (s[0] == '+' || s[0] == '-') && is_digit(s[1]) &&
                           is_digit(s[2]) && s[3] == ':' && is_digit(s[4]) && is_digit(s[5]);
        const int hours = shape ? (s[1] - '0') * 10 + (s[2] - '0') : 0;
        const int mins = shape ? (s[4] - '0') * 10 + (s[5] - '0') : 0;
        if (!shape || mins >= 60) {
            report(pos_of(n), key,
                   "must look like \"+07:00\" (sign, hours, ':', minutes), got \"" + s + "\"");
            return std::nullopt;
        }
        const int total = (s[0] == '-' ? -1 : 1) * (hours * 60 + mins);
        if (total < kMinOffsetMinutes || total > kMaxOffsetMinutes) {
            report(pos_of(n), key,
                   "must be between " + format_offset(kMinOffsetMinutes) + " and " +
                       format_offset(kMaxOffsetMinutes) + ", got \"" + s + "\"");
            return std::nullopt;
        }
        return total;
    }

    std::optional<std::vector<std::string>> languages(const toml::node& n, const std::string& key) {
        const auto* arr = n.as_array();
        if (!arr) {
            report(pos_of(n), key, "must be an array of strings, e.g. [\"vi\", \"en\"]" + not_a(n));
            return std::nullopt;
        }
        if (arr->empty()) {
            report(pos_of(n), key, "must list at least one language (\"vi\", \"en\")");
            return std::nullopt;
        }
        std::vector<std::string> out;
        bool ok = true;
        for (std::size_t i = 0; i < arr->size(); ++i) {
            const auto& e = (*arr)[i];
            const std::string item = indexed(key, i);
            auto v = string_value(e, item);
            if (!v) {
                ok = false;
                continue;
            }
            if (std::find(kLanguages.begin(), kLanguages.end(), *v) == kLanguages.end()) {
                report(pos_of(e), item, "unsupported language \"" + *v + "\" (supported: \"vi\", \"en\")");
                ok = false;
            } else if (std::find(out.begin(), out.end(), *v) != out.end()) {
                report(pos_of(e), item, "duplicate language \"" + *v + "\"");
                ok = false;
            } else {
                out.push_back(*v);
            }
        }
        if (!ok) return std::nullopt;
        return out;
    }

    // A whole number of `unit` in [lo, hi] for `key`.
    std::optional<int> whole_number(const toml::node& n, const std::string& key, std::int64_t lo,
                                    std::int64_t hi, const char* unit) {
        const auto* i = n.as_integer();
        if (!i) {
            std::string message = std::string("must be an integer (whole number of ") + unit + ")" + not_a(n);
            if (n.is_string()) message += ": remove the quotes";
            report(pos_of(n), key, std::move(message));
            return std::nullopt;
        }
        const std::int64_t v = i->get();
        if (v < lo || v > hi) {
            report(pos_of(n), key,
                   "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + " " + unit +
                       ", got " + std::to_string(v));
            return std::nullopt;
        }
        return static_cast<int>(v);
    }

    std::optional<float> ui_scale(const toml::node& n, const std::string& key) {
        double v = 0;
        if (const auto* f = n.as_floating_point()) {
            v = f->get();
        } else if (const auto* i = n.as_integer()) {
            v = static_cast<double>(i->get());
        } else {
            std::string message = "must be a number such as 1.0 or 1.5" + not_a(n);
            if (n.is_string()) message += ": remove the quotes";
            report(pos_of(n), key, std::move(message));
            return std::nullopt;
        }
        if (!(v >= kMinUiScale && v <= kMaxUiScale)) { // also rejects nan
            report(pos_of(n), key,
                   "must be between " + format_number(kMinUiScale) + " and 3.0, got " + format_number(v));
            return std::nullopt;
        }
        return static_cast<float>(v);
    }

    // An http(s) URL libcurl can use: a host (bracketed IPv6 too), a port 1-65535 if any, and no user
    // name or password (the kiosk logs its HIS addresses). With Scheme::https_or_loopback, plain http is
    // refused except to this machine (127.x, ::1, localhost), for URLs that carry secrets.
    enum class Scheme { http_or_https, https_or_loopback };
    std::optional<std::string> http_url(const toml::node& n, const std::string& key,
                                        Scheme scheme = Scheme::http_or_https) {
        auto v = string_value(n, key, Text::verbatim);
        if (!v) return std::nullopt;
        if (v->empty()) return v;
        const std::string shown = without_userinfo(*v);
        const bool https = core::starts_with_ignoring_ascii_case(*v, "https://");
        if (!https && !core::starts_with_ignoring_ascii_case(*v, "http://")) {
            report(pos_of(n), key,
                   "must start with http:// or https:// (or be \"\" for none), got \"" + shown + "\"");
            return std::nullopt;
        }
        const std::string_view rest = std::string_view(*v).substr(https ? 8 : 7);
        if (rest.empty() || rest.front() == '/' || rest.find(' ') != std::string_view::npos) {
            report(pos_of(n), key,
                   "must name a host after the scheme, without spaces, got \"" + shown + "\"");
            return std::nullopt;
        }
        const std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> url(curl_url(), &curl_url_cleanup);
        if (!url) throw std::bad_alloc();
        if (const CURLUcode rc = curl_url_set(url.get(), CURLUPART_URL, v->c_str(), 0); rc != CURLUE_OK) {
            report(pos_of(n), key,
                   std::string("is not a usable URL (") + curl_url_strerror(rc) + "), got \"" + shown + "\"");
            return std::nullopt;
        }
        const auto part = [&](CURLUPart which) -> std::optional<std::string> {
            char* text = nullptr;
            if (curl_url_get(url.get(), which, &text, 0) != CURLUE_OK || !text) return std::nullopt;
            std::string out(text);
            curl_free(text);
            return out;
        };
        if (part(CURLUPART_USER) || part(CURLUPART_PASSWORD)) {
            report(pos_of(n), key,
                   "must not contain a user name or password (\"user:password@\"): the kiosk writes this "
                   "address to its log. For OAuth2 use token_url, client_id and client_secret_file (the "
                   "secret in its own file); for the hospital's TLS certificate use ca_bundle");
            return std::nullopt;
        }
        if (const auto port = part(CURLUPART_PORT)) {
            const long number = std::strtol(port->c_str(), nullptr, 10);
            if (number < 1 || number > 65535) {
                report(pos_of(n), key, "has port " + *port + ": a port is 1-65535, got \"" + shown + "\"");
                return std::nullopt;
            }
        }
        const std::string host = lower(part(CURLUPART_HOST).value_or(""));
        if (host.empty()) {
            report(pos_of(n), key, "must name a host after the scheme, got \"" + shown + "\"");
            return std::nullopt;
        }
        const bool loopback =
            host == "localhost" || host == "[::1]" || host == "::1" || host.starts_with("127.");
        if (scheme == Scheme::https_or_loopback && !https && !loopback) {
            report(pos_of(n), key,
                   "must start with https://: over http:// the client secret would cross the network in "
                   "clear text (http:// is accepted only for this machine: 127.0.0.1, ::1, localhost)");
            return std::nullopt;
        }
        return v;
    }

    // The file behind a path key must exist and be readable now (what --check-config is for).
    enum class Secret { no, yes };
    bool readable_file(const toml::node& n, const std::string& key, const std::filesystem::path& p,
                       std::string_view what, Secret secret) {
        struct stat st {};
        if (::stat(p.c_str(), &st) != 0 || ::access(p.c_str(), R_OK) != 0) {
            report(pos_of(n), key,
                   "cannot read " + std::string(what) + " " + p.string() + ": " +
                       std::error_code(errno, std::generic_category()).message() +
                       " (check the path, and that the kiosk's user may read it)");
            return false;
        }
        if (!S_ISREG(st.st_mode)) {
            report(pos_of(n), key, std::string(what) + " " + p.string() + " is not a regular file");
            return false;
        }
        if (secret == Secret::yes && (st.st_mode & 077) != 0) {
            char mode[8];
            std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
            report(pos_of(n), key,
                   std::string(what) + " " + p.string() + " can be read by other users (mode " + mode +
                       "): make it the kiosk user's alone with: chmod 600 " + p.string());
            return false;
        }
        return true;
    }

    struct FirstUse {
        std::size_t index;
        int line;
    };

    std::vector<core::Service> services(const toml::node* n) {
        std::vector<core::Service> out;
        if (!n) {
            report({}, "services", "required: add at least one [[services]] entry");
            return out;
        }
        const auto* arr = n->as_array();
        if (!arr) {
            report(pos_of(*n), "services", "must be a list of [[services]] entries" + not_a(*n));
            return out;
        }
        if (arr->empty()) {
            report(pos_of(*n), "services", "must have at least one entry");
            return out;
        }
        if (arr->size() > kMaxServices)
            report(pos_of((*arr)[kMaxServices]), "services",
                   "at most " + std::to_string(kMaxServices) + " services fit on the start screen, found " +
                       std::to_string(arr->size()));

        std::map<std::string, FirstUse> codes;
        std::map<std::string, FirstUse> prefixes;
        for (std::size_t i = 0; i < arr->size(); ++i) {
            const std::string base = indexed("services", i);
            const auto* table = (*arr)[i].as_table();
            if (!table) {
                report(pos_of((*arr)[i]), base, "must be a table (a [[services]] entry)" + not_a((*arr)[i]));
                continue;
            }
            const auto& t = *table;
            const Pos at = pos_of(t);
            check_keys(t, Where::service, base);
            core::Service s;

            if (auto v = required_string(t, "code", base + ".code", at)) {
                const auto* node = t.get("code");
                if (v->empty() || v->size() > 8 ||
                    !all_of_chars(*v, [](char c) { return is_upper(c) || is_digit(c); }))
                    report(pos_of(*node), base + ".code",
                           "must be 1-8 characters of A-Z and 0-9 (e.g. \"KBH\"), got \"" + *v + "\"");
                else if (auto [it, fresh] = codes.try_emplace(*v, FirstUse{i, pos_of(*node).line}); !fresh)
                    report(pos_of(*node), base + ".code",
                           "duplicate code \"" + *v + "\": already used by " +
                               indexed("services", it->second.index) + " on line " +
                               std::to_string(it->second.line));
                else
                    s.code = *v;
            }
            if (auto v = required_string(t, "prefix", base + ".prefix", at)) {
                const auto* node = t.get("prefix");
                if (v->size() != 1 || !is_upper((*v)[0]))
                    report(pos_of(*node), base + ".prefix",
                           "must be exactly one letter A-Z, got \"" + *v + "\"");
                else if (auto [it, fresh] = prefixes.try_emplace(*v, FirstUse{i, pos_of(*node).line}); !fresh)
                    report(pos_of(*node), base + ".prefix",
                           "duplicate prefix \"" + *v + "\": already used by " +
                               indexed("services", it->second.index) + " on line " +
                               std::to_string(it->second.line));
                else
                    s.prefix = *v;
            }
            for (const auto& [name, field] : {std::pair{"name_vi", &core::Service::name_vi},
                                              std::pair{"name_en", &core::Service::name_en}}) {
                const std::string key = base + "." + name;
                if (auto v = required_string(t, name, key, at)) {
                    if (is_blank(*v))
                        report(pos_of(*t.get(name)), key, "must not be empty");
                    else
                        s.*field = std::move(*v);
                }
            }
            out.push_back(std::move(s));
        }
        return out;
    }

    std::string file_;
    std::vector<BadByte> bad_;
    std::filesystem::path base_dir_;
    std::vector<ConfigProblem> problems_;
};

std::filesystem::path absolute_or_self(const std::filesystem::path& p) {
    std::error_code ec;
    auto abs = std::filesystem::absolute(p, ec);
    return ec ? p : abs;
}

} // namespace

ConfigResult parse_config(std::string_view toml_text, const std::string& source_name) {
    return parse_config(toml_text, source_name, std::filesystem::path("."));
}

ConfigResult parse_config(std::string_view toml_text, const std::string& source_name,
                          const std::filesystem::path& base_dir) {
    if (toml_text.size() > kMaxConfigBytes) {
        ConfigResult r;
        r.problems.push_back({source_name, 0, 0, "",
                              "is larger than " + std::to_string(kMaxConfigBytes / 1024) +
                                  " KiB: a site config is a few KiB of text (is this the right file?)"});
        return r;
    }
    Utf8Scan scan = scan_utf8(toml_text);
    Validator v(source_name, std::move(scan.bad), absolute_or_self(base_dir).lexically_normal());
    if (auto deep = too_deep(scan.text)) {
        v.report(deep->first, "", std::move(deep->second));
        ConfigResult r;
        r.problems = v.take_problems();
        return r;
    }

    toml::table root;
    std::optional<std::pair<Pos, std::string>> syntax_error;
#if TOML_EXCEPTIONS
    try {
        root = toml::parse(std::string_view(scan.text), std::string_view(source_name));
    } catch (const toml::parse_error& e) {
        syntax_error.emplace(pos_of(e.source().begin), std::string(e.description()));
    }
#else
    toml::parse_result parsed = toml::parse(std::string_view(scan.text), std::string_view(source_name));
    if (parsed)
        root = std::move(parsed).table();
    else
        syntax_error.emplace(pos_of(parsed.error().source().begin),
                             std::string(parsed.error().description()));
#endif

    ConfigResult result;
    if (syntax_error) {
        // An invalid byte on the same line is the likelier cause (e.g. inside a key): report that instead.
        const int line = syntax_error->first.line;
        if (!v.has_bad_byte_on_line(line)) {
            std::string message = "syntax error: " + syntax_error->second;
            const std::string_view d = syntax_error->second;
            if (d.find("parsing string") != std::string_view::npos &&
                (d.find("control characters") != std::string_view::npos ||
                 d.find("end-of-file") != std::string_view::npos))
                message += " (is the closing quote missing?)";
            v.report(syntax_error->first, "", std::move(message));
        }
        v.report_unclaimed_bad_bytes();
        result.problems = v.take_problems();
        return result;
    }

    SiteConfig cfg = v.check(root);
    v.report_unclaimed_bad_bytes();
    result.problems = v.take_problems();
    if (result.problems.empty()) result.config = std::move(cfg);
    return result;
}

ConfigResult load_config_file(const std::filesystem::path& file) {
    const std::string name = file.string();
    auto fail = [&](int err) {
        ConfigResult r;
        r.problems.push_back(
            {name, 0, 0, "",
             "cannot read config file: " + std::error_code(err, std::generic_category()).message()});
        return r;
    };
    errno = 0;
    std::unique_ptr<std::FILE, decltype(&std::fclose)> f(std::fopen(name.c_str(), "rb"), &std::fclose);
    if (!f) return fail(errno ? errno : EIO);
    // At most one byte more than a config may have: enough to refuse /dev/zero or a huge file unread.
    std::string text;
    std::array<char, 16384> buf{};
    while (text.size() <= kMaxConfigBytes) {
        const std::size_t want = std::min(buf.size(), kMaxConfigBytes + 1 - text.size());
        const std::size_t n = std::fread(buf.data(), 1, want, f.get());
        text.append(buf.data(), n);
        if (n < want) break;
    }
    if (std::ferror(f.get())) return fail(errno ? errno : EIO);
    return parse_config(text, name, absolute_or_self(file).parent_path());
}

const core::BankList& napas_banks() {
    // embedded_banks.inc is generated by CMake from assets/payment/napas-banks.tsv.
    static const core::BankList list = core::parse_bank_list(
#include "embedded_banks.inc"
    );
    return list;
}

std::string_view embedded_demo_config() {
    // embedded_config.inc is generated by CMake from config/site.example.toml: one raw string literal.
    static constexpr std::string_view text =
#include "embedded_config.inc"
        ;
    return text;
}

std::filesystem::path default_data_dir_for(bool is_root, const char* xdg_data_home, const char* home) {
    if (is_root) return "/var/lib/kiosk";
    // The XDG spec says to ignore a relative XDG_DATA_HOME.
    if (xdg_data_home && *xdg_data_home && std::filesystem::path(xdg_data_home).is_absolute())
        return std::filesystem::path(xdg_data_home) / "kiosk";
    if (home && *home) return std::filesystem::path(home) / ".local" / "share" / "kiosk";
    return absolute_or_self("kiosk-data");
}

std::filesystem::path default_data_dir() {
    const char* home = std::getenv("HOME");
    std::string pw_home;
    if (!home || !*home) {
        if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_dir) {
            pw_home = pw->pw_dir;
            home = pw_home.c_str();
        }
    }
    return default_data_dir_for(::geteuid() == 0, std::getenv("XDG_DATA_HOME"), home);
}

} // namespace kiosk::app
