#pragma once
// Runs the real kiosk binary (headless) the way IT staff and the CI do, and reads what it printed.
#include "temp_dir.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
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
// The value of ASAN_OPTIONS for every kiosk process a test starts.
inline std::string kiosk_asan_options() {
    const char* asan = std::getenv("ASAN_OPTIONS");
    return std::string(asan ? asan : "") + ":detect_leaks=0";
}

// The kiosk binary and the options every test run gives it, followed by `args`.
inline std::vector<std::string> kiosk_argv(const std::vector<std::string>& args = {}) {
    std::vector<std::string> argv{KIOSK_BINARY, "--assets", std::string(KIOSK_SOURCE_DIR) + "/assets"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

// Runs the kiosk in the foreground with `args` (shell words, already quoted where needed).
inline ProcessResult run_kiosk(const std::string& args, const std::filesystem::path& dir) {
    std::string command = "env ASAN_OPTIONS=" + shell_quote(kiosk_asan_options());
    for (const auto& a : kiosk_argv())
        command += " " + shell_quote(a);
    return run_command(command + " " + args, dir);
}

// The example site config with [storage] data_dir pointed into a test's own directory, and text edits
// applied.
inline std::filesystem::path
write_site_config(const TempDir& dir, const std::string& data_dir,
                  const std::vector<std::pair<std::string, std::string>>& edits = {}) {
    std::string text = read_text(std::filesystem::path(KIOSK_SOURCE_DIR) / "config" / "site.example.toml");
    std::vector<std::pair<std::string, std::string>> all{
        {"\n# data_dir = \"/var/lib/kiosk\"", "\ndata_dir = \"" + data_dir + "\""}};
    all.insert(all.end(), edits.begin(), edits.end());
    for (const auto& [from, to] : all) {
        const auto at = text.find(from);
        if (at == std::string::npos) throw std::runtime_error("site.example.toml has no '" + from + "'");
        text.replace(at, from.size(), to);
    }
    const auto path = dir / "site.toml";
    write_text(path, text);
    return path;
}

// Decodes the QR code in a PNG with zbar (an independent decoder); "" when it finds none.
inline std::string zbar_decode(const std::filesystem::path& png, const TempDir& dir) {
    const auto r = run_command("zbarimg --quiet --raw " + shell_quote(png.string()), dir.path());
    std::string text = r.out;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.pop_back();
    return text;
}

// Polls `condition` until it holds or `limit` has passed (generous: a loaded machine is slow, never wrong).
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::seconds limit = std::chrono::seconds(90)) {
    const auto until = std::chrono::steady_clock::now() + limit;
    for (;;) {
        if (condition()) return true;
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

// The kiosk binary running in the background (headless; without a script it serves until killed), for
// tests that look at it while it runs, read the lines it prints on stdout (KIOSK_MEASURE marks a step of
// its script), start a second one, or kill it (SIGKILL: a power cut). It runs in `dir`, and its stdout and
// stderr go to the files <name>.out and <name>.err there.
class KioskProcess {
public:
    struct Setup {
        mode_t umask = 022;              // the child's umask, as a shell's default
        bool core_dumps_allowed = false; // raise the child's RLIMIT_CORE to its hard limit
        std::string name = "kiosk";      // names the stdout/stderr files
        std::vector<std::pair<std::string, std::string>> env; // added to (or replacing in) the environment
    };

    KioskProcess(const std::vector<std::string>& args, const std::filesystem::path& dir, Setup setup)
        : out_(dir / (setup.name + ".out")), err_(dir / (setup.name + ".err")) {
        std::vector<std::string> argv = kiosk_argv(args);
        std::vector<std::string> env;
        const auto replaced = [&setup](std::string_view entry) {
            if (entry.starts_with("ASAN_OPTIONS=")) return true;
            for (const auto& [key, value] : setup.env)
                if (entry.starts_with(key + "=")) return true;
            return false;
        };
        for (char** e = environ; *e; ++e)
            if (!replaced(*e)) env.emplace_back(*e);
        env.push_back("ASAN_OPTIONS=" + kiosk_asan_options());
        for (const auto& [key, value] : setup.env)
            env.push_back(key + "=" + value);
        std::vector<char*> cargv, cenv;
        for (auto& a : argv)
            cargv.push_back(a.data());
        cargv.push_back(nullptr);
        for (auto& e : env)
            cenv.push_back(e.data());
        cenv.push_back(nullptr);
        const std::string dir_text = dir.string(), out = out_.string(), err = err_.string();
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) { // only async-signal-safe calls until exec
            ::umask(setup.umask);
            if (setup.core_dumps_allowed) {
                rlimit core{};
                ::getrlimit(RLIMIT_CORE, &core);
                core.rlim_cur = core.rlim_max;
                ::setrlimit(RLIMIT_CORE, &core);
            }
            if (::chdir(dir_text.c_str()) != 0) ::_exit(126);
            const int in = ::open("/dev/null", O_RDONLY);
            const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (in < 0 || o < 0 || e < 0) ::_exit(126);
            ::dup2(in, 0);
            ::dup2(o, 1);
            ::dup2(e, 2);
            ::execve(cargv[0], cargv.data(), cenv.data());
            ::_exit(127);
        }
    }
    KioskProcess(const KioskProcess&) = delete;
    KioskProcess& operator=(const KioskProcess&) = delete;
    ~KioskProcess() {
        if (pid_ > 0 && !status_) kill_and_wait(SIGKILL);
    }

    [[nodiscard]] pid_t pid() const { return pid_; }
    [[nodiscard]] std::string err() const { return read_text(err_); }
    [[nodiscard]] std::string out() const { return read_text(out_); }

    // The next stdout line starting with `prefix` (others are skipped); nullopt when the kiosk ended
    // first, or after two minutes (a hung kiosk, not a slow one).
    std::optional<std::string> line_starting(const std::string& prefix) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
        for (;;) {
            for (auto nl = buffer_.find('\n'); nl != std::string::npos; nl = buffer_.find('\n')) {
                std::string line = buffer_.substr(0, nl);
                buffer_.erase(0, nl + 1);
                if (line.starts_with(prefix)) return line;
            }
            const bool had_ended = ended(); // before reading, so the last read has all it printed
            std::ifstream in(out_, std::ios::binary);
            in.seekg(static_cast<std::streamoff>(read_));
            std::ostringstream more;
            if (in) more << in.rdbuf();
            const std::string got = more.str();
            read_ += got.size();
            buffer_ += got;
            if (!got.empty()) continue;
            if (had_ended || std::chrono::steady_clock::now() > deadline) return std::nullopt;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }

    // Sends `sig` and waits for the process to end; returns the raw wait status.
    int kill_and_wait(int sig) {
        if (!status_) {
            ::kill(pid_, sig);
            wait();
        }
        return *status_;
    }
    // Waits for the process to end by itself; returns the raw wait status.
    int wait() {
        if (!status_) {
            int raw = 0;
            while (::waitpid(pid_, &raw, 0) < 0 && errno == EINTR) {
            }
            status_ = raw;
        }
        return *status_;
    }
    // Waits for the process to exit by itself; its exit status (-1 when a signal ended it).
    int wait_exit() {
        const int raw = wait();
        return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    }
    // Whether it has ended (without blocking).
    bool ended() {
        if (status_) return true;
        int raw = 0;
        if (::waitpid(pid_, &raw, WNOHANG) == pid_) status_ = raw;
        return status_.has_value();
    }

private:
    std::filesystem::path out_, err_;
    pid_t pid_ = -1;
    std::optional<int> status_;
    std::size_t read_ = 0; // bytes of stdout read by line_starting
    std::string buffer_;   // of those, what follows the last line it returned
};

// Whether the raw wait status `raw` says that signal `sig` ended the process.
inline bool killed_by(int raw, int sig) {
    return WIFSIGNALED(raw) && WTERMSIG(raw) == sig;
}

// The mode bits of a file (07777), or -1 when it does not exist.
inline int mode_of(const std::filesystem::path& p) {
    struct stat st {};
    return ::lstat(p.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 07777) : -1;
}

} // namespace kiosk::test
