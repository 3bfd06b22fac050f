#pragma once
// Runs the real kiosk binary (headless) the way IT staff and the CI do, and reads what it printed.
#include "temp_dir.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <utility>
#include <vector>

namespace kiosk::test {

struct ProcessResult {
    int status = -1;
    std::string out;
    std::string err;
};

inline std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void write_text(const std::filesystem::path& file, const std::string& text) {
    std::ofstream(file, std::ios::binary) << text;
}

inline std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s)
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

// Runs `command` with a time limit, capturing stdout and stderr into files under dir.
inline ProcessResult run_command(const std::string& command, const std::filesystem::path& dir) {
    const auto out = dir / "stdout.txt", err = dir / "stderr.txt";
    const std::string full = "timeout 120 " + command + " </dev/null >" + shell_quote(out.string()) + " 2>" +
                             shell_quote(err.string());
    const int raw = std::system(full.c_str());
    ProcessResult r;
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    r.out = read_text(out);
    r.err = read_text(err);
    return r;
}

// Under ASan, leak checking is off for the kiosk process only: SDL dlopen()s video and input libraries
// and unloads them at SDL_Quit, so their one-off allocations show up as leaks in "<unknown module>" that no
// suppression can name. Every other ASan/UBSan check stays on, and the unit tests keep leak checking.
inline ProcessResult run_kiosk(const std::string& args, const std::filesystem::path& dir) {
    const char* asan = std::getenv("ASAN_OPTIONS");
    const std::string env =
        "env ASAN_OPTIONS=" + shell_quote(std::string(asan ? asan : "") + ":detect_leaks=0") + " ";
    return run_command(env + shell_quote(KIOSK_BINARY) + " --assets " +
                           shell_quote(std::string(KIOSK_SOURCE_DIR) + "/assets") + " " + args,
                       dir);
}

// The example site config with data_dir pointed into a test's own directory, and text edits applied.
inline std::filesystem::path
write_site_config(const TempDir& dir, const std::string& data_dir,
                  const std::vector<std::pair<std::string, std::string>>& edits = {}) {
    std::string text = read_text(std::filesystem::path(KIOSK_SOURCE_DIR) / "config" / "site.example.toml");
    for (const auto& [from, to] : edits) {
        const auto at = text.find(from);
        if (at == std::string::npos) throw std::runtime_error("site.example.toml has no '" + from + "'");
        text.replace(at, from.size(), to);
    }
    const auto path = dir / "site.toml";
    write_text(path, "data_dir = \"" + data_dir + "\"\n" + text);
    return path;
}

} // namespace kiosk::test
