// kiosk_bench: the kiosk's performance figures next to a bare SDL2 + Dear ImGui program (bare_imgui),
// printed as a plain-text table. A benchmark, not a test: it always exits 0 when it could measure,
// whatever the figures (1 only when a measurement could not be taken at all).
//
//   kiosk_bench [--dir DIR] [--runs N] [--frames N] [--tickets N]
//     --dir      where its temporary directory goes (default: $TMPDIR or /tmp); the ticket timings need
//                a real disk there, not tmpfs (the header names the file system)
//     --runs     start-up runs of each program (default 7)
//     --frames   frames per ImGui CPU measurement (default 300)
//     --tickets  tickets for the tap -> stored timing (default 500)
//     --whole-frames  frames per whole-frame measurement and screen (default 120)
//
// Figures, all for --headless --windowed 1920x1080 (SDL offscreen driver, software renderer):
//   a. start -> first interactive frame, external wall clock (spawn .. READY line on the pipe)
//   b. ImGui CPU per frame (NewFrame..Render), kiosk welcome and ticket screens vs bare
//   c. idle CPU over 5 s, % of one core
//   d. peak RSS (VmHWM) of the idle runs
//   e. tap -> ticket durably stored, in-process: ui::Flow + Worker(Database, TicketStore) + MainQueue
//   f. whole frame (build + render + present) per screen at 1080x1920 (portrait kiosk), kiosk vs bare:
//      software renderer headless (offscreen driver), and on X11 (Xvfb) software and OpenGL (Mesa)
#include "bench_support.hpp"
#include "kiosk/app/work_queue.hpp"
#include "kiosk/core/clock.hpp"
#include "kiosk/core/site.hpp"
#include "kiosk/core/ticket.hpp"
#include "kiosk/store/database.hpp"
#include "kiosk/store/ticket_store.hpp"
#include "kiosk/ui/flow.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

extern char** environ;

namespace {

using kiosk::bench::cpu_model;
using kiosk::bench::fmt;
using kiosk::bench::fs_type;
using kiosk::bench::now_text;
using kiosk::bench::TempDir;

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* kScreen = "1920x1080";

double ms_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

// --- statistics ---------------------------------------------------------------------------------------

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The kiosk's convention (KIOSK_MEASURE): p50 = v[n/2], p99 = v[min(n-1, n*99/100)] of the sorted samples.
struct Distribution {
    double mean = 0, p50 = 0, p99 = 0, max = 0;
    std::size_t n = 0;
};

Distribution distribution(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    Distribution d;
    d.n = v.size();
    if (v.empty()) return d;
    d.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    d.p50 = v[v.size() / 2];
    d.p99 = v[std::min(v.size() - 1, v.size() * 99 / 100)];
    d.max = v.back();
    return d;
}

std::string list(const std::vector<double>& v, int precision) {
    std::string s;
    for (const double x : v) {
        if (!s.empty()) s += ' ';
        s += fmt(x, precision); // appended, not "sep" + string: GCC 12 -O3 misreports that (-Wrestrict)
    }
    return s;
}

// --- the table ----------------------------------------------------------------------------------------

class Table {
public:
    void section(std::string title) { rows_.push_back({std::move(title), "", "", "", "", true}); }
    void info(std::string name, double v, int precision, std::string unit) {
        rows_.push_back({"  " + std::move(name), fmt(v, precision), std::move(unit), "", "", false});
    }
    // A figure with an upper bound: verdict "ok" or "OVER".
    void limit(std::string name, double v, int precision, std::string unit, double bound,
               std::string target_text = "") {
        if (target_text.empty()) target_text = "<= " + fmt(bound, bound < 10 ? 1 : 0) + " " + unit;
        rows_.push_back({"  " + std::move(name), fmt(v, precision), std::move(unit), std::move(target_text),
                         v <= bound ? "ok" : "OVER", false});
    }
    void failed(std::string name, std::string why) {
        rows_.push_back({"  " + std::move(name), "n/a", "", "", "FAILED", false});
        notes_.push_back(rows_.back().name.substr(2) + ": " + std::move(why));
        ++failures_;
    }
    void note(std::string text) { notes_.push_back(std::move(text)); }
    [[nodiscard]] int failures() const { return failures_; }

    void print() const {
        std::size_t w = 6;
        for (const auto& r : rows_)
            if (!r.section) w = std::max(w, r.name.size());
        const auto line = [&] { std::printf("%s\n", std::string(w + 48, '-').c_str()); };
        std::printf("%-*s %10s  %-9s %-16s %s\n", static_cast<int>(w), "figure", "value", "unit", "target",
                    "verdict");
        line();
        for (const auto& r : rows_) {
            if (r.section)
                std::printf("%s\n", r.name.c_str());
            else
                std::printf("%-*s %10s  %-9s %-16s %s\n", static_cast<int>(w), r.name.c_str(),
                            r.value.c_str(), r.unit.c_str(), r.target.c_str(), r.verdict.c_str());
        }
        line();
        if (!notes_.empty()) std::printf("Notes:\n");
        for (const auto& n : notes_)
            std::printf("  - %s\n", n.c_str());
        std::fflush(stdout);
    }

private:
    struct Row {
        std::string name, value, unit, target, verdict;
        bool section = false;
    };
    std::vector<Row> rows_;
    std::vector<std::string> notes_;
    int failures_ = 0;
};

// --- machine ------------------------------------------------------------------------------------------

// --- files --------------------------------------------------------------------------------------------

std::string read_text(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// SDL_* variables the children inherit (SDL reads hints from the environment), for the header.
std::string sdl_environment() {
    std::string s;
    for (char** e = environ; *e; ++e)
        if (std::strncmp(*e, "SDL_", 4) == 0) {
            if (!s.empty()) s += ' ';
            s += *e;
        }
    return s.empty() ? "none" : s;
}

// config/site.example.toml with [storage] data_dir set, as tests/app/kiosk_process.hpp writes it.
fs::path write_site_config(const fs::path& dir, const fs::path& data_dir) {
    std::string text = read_text(fs::path(KIOSK_SOURCE_DIR) / "config" / "site.example.toml");
    if (text.empty()) throw std::runtime_error("cannot read " KIOSK_SOURCE_DIR "/config/site.example.toml");
    const std::string commented = "\n# data_dir = \"/var/lib/kiosk\"";
    const auto at = text.find(commented);
    if (at == std::string::npos) throw std::runtime_error("site.example.toml has no '" + commented + "'");
    text.replace(at, commented.size(), "\ndata_dir = \"" + data_dir.string() + "\"");
    const auto path = dir / "site.toml";
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

// --- child processes ----------------------------------------------------------------------------------

class Child {
public:
    // Spawns argv with stdout on a pipe, stdin from /dev/null and stderr appended to stderr_file.
    // `spawned_at` is taken just before posix_spawn.
    Child(const std::vector<std::string>& argv, const fs::path& stderr_file) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0)
            throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
        posix_spawn_file_actions_addopen(&actions, 2, stderr_file.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                         0644);
        std::vector<char*> args;
        for (const auto& a : argv)
            args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        spawned_at_ = Clock::now();
        const int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[1]);
        if (rc != 0) {
            ::close(fds[0]);
            throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
        }
        out_ = fds[0];
    }
    ~Child() {
        if (pid_ > 0) stop();
        if (out_ >= 0) ::close(out_);
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    [[nodiscard]] pid_t pid() const { return pid_; }
    [[nodiscard]] Clock::time_point spawned_at() const { return spawned_at_; }

    // The next stdout line starting with `prefix` (other lines are skipped), and when it was read.
    // nullopt at EOF or when the deadline passes.
    std::optional<std::pair<std::string, Clock::time_point>> line_starting(std::string_view prefix,
                                                                           Clock::time_point deadline) {
        for (;;) {
            for (auto nl = buffer_.find('\n'); nl != std::string::npos; nl = buffer_.find('\n')) {
                std::string line = buffer_.substr(0, nl);
                buffer_.erase(0, nl + 1);
                if (line.rfind(prefix, 0) == 0) return std::make_pair(std::move(line), last_read_);
            }
            if (!fill(deadline)) return std::nullopt;
        }
    }

    // Everything printed on stdout until the program closes it (normally: exits).
    std::string read_all(Clock::time_point deadline) {
        while (fill(deadline)) {
        }
        return std::exchange(buffer_, {});
    }

    // Waits for the exit; returns the exit status, or -1 (killed, or still running at the deadline).
    int wait(Clock::time_point deadline) {
        while (pid_ > 0) {
            int status = 0;
            const pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_) {
                pid_ = -1;
                return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            }
            if (r < 0 && errno != EINTR) {
                pid_ = -1;
                return -1;
            }
            if (Clock::now() >= deadline) return -1;
            std::this_thread::sleep_for(2ms);
        }
        return -1;
    }

    // SIGTERM, then SIGKILL if it has not exited within 10 s. Returns the exit status (-1: killed).
    int stop() {
        if (pid_ <= 0) return -1;
        ::kill(pid_, SIGTERM);
        const int status = wait(Clock::now() + 10s);
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            wait(Clock::now() + 10s);
        }
        return status;
    }

private:
    // Reads what is available; false at EOF or at the deadline.
    bool fill(Clock::time_point deadline) {
        if (out_ < 0) return false;
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0) return false;
            pollfd p{out_, POLLIN, 0};
            const int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) continue;
            char buf[4096];
            const ssize_t n = ::read(out_, buf, sizeof buf);
            last_read_ = Clock::now();
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                ::close(out_);
                out_ = -1;
                return false;
            }
            buffer_.append(buf, static_cast<std::size_t>(n));
            return true;
        }
    }

    pid_t pid_ = -1;
    int out_ = -1;
    std::string buffer_;
    Clock::time_point spawned_at_;
    Clock::time_point last_read_;
};

// --- /proc --------------------------------------------------------------------------------------------

// utime + stime of a process, in seconds.
double cpu_seconds(pid_t pid) {
    const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
    const auto paren = stat.rfind(')');
    if (paren == std::string::npos) throw std::runtime_error("cannot read /proc/<pid>/stat");
    std::istringstream in(stat.substr(paren + 1));
    std::vector<std::string> f; // f[0] is field 3 (state); utime is field 14, stime field 15
    for (std::string s; in >> s && f.size() < 13;)
        f.push_back(s);
    if (f.size() < 13) throw std::runtime_error("short /proc/<pid>/stat");
    const double ticks = std::stod(f[11]) + std::stod(f[12]);
    return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// The number on a "key:   1234 [kB]" line of /proc/<pid>/status (kB for the Vm... lines).
long status_number(pid_t pid, const std::string& key) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
    throw std::runtime_error("no " + key + " in /proc/<pid>/status");
}

// --- the two programs ---------------------------------------------------------------------------------

struct Setup {
    fs::path dir;    // scratch: stderr logs
    fs::path config; // site config with data_dir inside dir
};

std::vector<std::string> kiosk_args(const Setup& s, std::vector<std::string> extra) {
    std::vector<std::string> a = {KIOSK_BINARY, "--headless",      "--windowed", kScreen,
                                  "--config",   s.config.string(), "--assets",   KIOSK_SOURCE_DIR "/assets"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
}

std::vector<std::string> bare_args(std::vector<std::string> extra) {
    std::vector<std::string> a = {BARE_BINARY, "--headless", "--windowed", kScreen};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
}

// The same command on a display: without --headless SDL uses the X11 driver of $DISPLAY.
std::vector<std::string> on_display(std::vector<std::string> argv) {
    argv.erase(std::remove(argv.begin(), argv.end(), std::string("--headless")), argv.end());
    return argv;
}

// An X server for the idle figure (Xvfb from the xvfb package), on a display number of its own.
std::optional<std::string> find_xvfb() {
    for (const char* p : {"/usr/bin/Xvfb", "/usr/local/bin/Xvfb"})
        if (::access(p, X_OK) == 0) return std::string(p);
    return std::nullopt;
}

// The number after the first space of "KIOSK_READY 333.161".
double ready_figure(const std::string& line) {
    const auto sp = line.find(' ');
    return sp == std::string::npos ? 0 : std::strtod(line.c_str() + sp + 1, nullptr);
}

struct StartRun {
    double external_ms = 0; // spawn .. READY read on the pipe
    double internal_ms = 0; // what the program printed (from its main())
};

StartRun start_once(const std::vector<std::string>& argv, std::string_view ready, const fs::path& log) {
    Child c(argv, log);
    const auto got = c.line_starting(ready, Clock::now() + 60s);
    if (!got)
        throw std::runtime_error(argv[0] + " printed no " + std::string(ready) + " within 60 s (see " +
                                 log.string() + ")");
    StartRun r{ms_between(c.spawned_at(), got->second), ready_figure(got->first)};
    c.stop();
    return r;
}

struct IdleRun {
    double cpu_percent = 0;   // of one core
    double wakeups_per_s = 0; // main thread's context switches (voluntary + not) per second
    double window_s = 0;
    long hwm_kb = 0;
};

IdleRun idle_once(const std::vector<std::string>& argv, std::string_view ready, const fs::path& log) {
    Child c(argv, log);
    if (!c.line_starting(ready, Clock::now() + 60s))
        throw std::runtime_error(argv[0] + " printed no " + std::string(ready) + " within 60 s");
    std::this_thread::sleep_for(1s);
    const auto switches = [&] {
        return status_number(c.pid(), "voluntary_ctxt_switches") +
               status_number(c.pid(), "nonvoluntary_ctxt_switches");
    };
    const double cpu0 = cpu_seconds(c.pid());
    const long sw0 = switches();
    const auto t0 = Clock::now();
    std::this_thread::sleep_for(5s);
    const double cpu1 = cpu_seconds(c.pid());
    const long sw1 = switches();
    const auto t1 = Clock::now();
    IdleRun r;
    r.window_s = std::chrono::duration<double>(t1 - t0).count();
    r.cpu_percent = 100.0 * (cpu1 - cpu0) / r.window_s;
    r.wakeups_per_s = static_cast<double>(sw1 - sw0) / r.window_s;
    r.hwm_kb = status_number(c.pid(), "VmHWM");
    c.stop();
    return r;
}

// key=value fields of a KIOSK_MEASURE / BARE_MEASURE line.
std::map<std::string, std::string> fields(const std::string& line) {
    std::map<std::string, std::string> out;
    std::istringstream in(line);
    for (std::string word; in >> word;)
        if (const auto eq = word.find('='); eq != std::string::npos)
            out[word.substr(0, eq)] = word.substr(eq + 1);
    return out;
}

struct Measure {
    std::string screen;
    double mean = 0, p50 = 0, p99 = 0;
    int frames = 0;
    // Whole frame (build + render + present) and the loop's wall time per frame; -1 when not printed.
    double frame_mean = -1, frame_p50 = -1, frame_p99 = -1, wall = -1;
};

Measure measure_of(const std::string& line) {
    auto f = fields(line);
    if (!f.count("imgui_cpu_ms_mean") || !f.count("p50") || !f.count("p99"))
        throw std::runtime_error("cannot parse '" + line + "'");
    Measure m;
    m.screen = f.count("screen") ? f["screen"] : "";
    m.mean = std::stod(f["imgui_cpu_ms_mean"]);
    m.p50 = std::stod(f["p50"]);
    m.p99 = std::stod(f["p99"]);
    m.frames = f.count("frames") ? std::stoi(f["frames"]) : 0;
    const auto number = [&](const char* key) { return f.count(key) ? std::stod(f[key]) : -1.0; };
    m.frame_mean = number("frame_ms_mean");
    m.frame_p50 = number("frame_p50");
    m.frame_p99 = number("frame_p99");
    m.wall = number("wall_ms_per_frame");
    return m;
}

std::vector<Measure> measures_in(const std::string& out, std::string_view prefix) {
    std::vector<Measure> m;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(prefix, 0) == 0) m.push_back(measure_of(line));
    return m;
}

// --- e. tap -> ticket stored, in-process --------------------------------------------------------------

struct TapRun {
    std::vector<double> tap_to_ticket_ms; // flow.handle(ChooseService) .. TicketStored drained, TicketIssued
    std::vector<double> issue_ms;         // store.issue() alone, on the worker
};

// The kiosk's path minus rendering (KioskApp::dispatch, EffectRunner, the store worker, the main queue): the
// tap's event goes to the Flow, its IssueTicket effect is posted to the Worker that owns the Database and
// TicketStore, the result comes back through the MainQueue, which wakes the main thread, which drains it.
TapRun tap_to_ticket(const fs::path& db_file, int warmup, int count) {
    struct Store {
        kiosk::store::Database db;
        kiosk::store::TicketStore tickets;
        explicit Store(kiosk::store::Database&& d) : db(std::move(d)), tickets(db) {}
    };
    namespace ui = kiosk::ui;
    const kiosk::core::KioskIdentity kiosk{"BVDK-DEMO", "SANH-A-01", 'A', 7 * 60};
    const kiosk::core::Service service{"KBH", "A", "Khám BHYT", "Insured examination"};
    const kiosk::core::SystemClock clock;

    // The main thread's "event loop": woken by MainQueue::post, as SDL_PushEvent wakes the kiosk's loop.
    std::mutex wake_mutex;
    std::condition_variable wake_cv;
    bool woken = false;
    auto wait_for_wake = [&] {
        std::unique_lock lock(wake_mutex);
        if (!wake_cv.wait_for(lock, 30s, [&] { return woken; }))
            throw std::runtime_error("no result from the store worker within 30 s");
        woken = false;
    };

    TapRun run;
    ui::Flow flow(ui::Language::Vi);
    std::unique_ptr<Store> store; // touched only on the worker thread
    kiosk::app::MainQueue main_queue([&] {
        {
            std::lock_guard lock(wake_mutex);
            woken = true;
        }
        wake_cv.notify_one();
    });
    kiosk::app::Worker worker; // declared last: joins first, after the queued writes

    std::promise<void> opened;
    worker.post([&] {
        try {
            store = std::make_unique<Store>(kiosk::store::Database::open(db_file));
            opened.set_value();
        } catch (...) {
            opened.set_exception(std::current_exception());
        }
    });
    opened.get_future().get();

    flow.handle(ui::ev::TapFeature{ui::Feature::QueueTicket});
    if (flow.screen() != ui::Screen::ChooseService)
        throw std::runtime_error("the flow did not open services");
    run.tap_to_ticket_ms.reserve(static_cast<std::size_t>(count));
    run.issue_ms.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < warmup + count; ++i) {
        double issue_ms = -1;
        const auto t0 = Clock::now();
        const std::vector<ui::Effect> effects = flow.handle(ui::ev::ChooseService{service.code});
        const auto* issue =
            effects.size() == 1 ? std::get_if<ui::fx::IssueTicket>(&effects.front()) : nullptr;
        if (!issue) throw std::runtime_error("ChooseService gave no IssueTicket effect");
        worker.post([&, request = issue->request] {
            const auto a = Clock::now();
            try {
                kiosk::core::Ticket t = store->tickets.issue(kiosk, service, clock.now());
                const double ms = ms_between(a, Clock::now());
                main_queue.post([&, request, ms, t = std::move(t)] {
                    issue_ms = ms;
                    flow.handle(ui::ev::TicketStored{request, t});
                });
            } catch (const std::exception& e) {
                std::fprintf(stderr, "kiosk_bench: issue failed: %s\n", e.what());
                main_queue.post([&, request] { flow.handle(ui::ev::TicketFailed{request}); });
            }
        });
        while (flow.screen() == ui::Screen::IssuingTicket) {
            wait_for_wake();
            main_queue.drain();
        }
        const auto t1 = Clock::now();
        if (flow.screen() != ui::Screen::TicketIssued)
            throw std::runtime_error(std::string("the flow shows ") + ui::screen_name(flow.screen()) +
                                     " instead of the ticket");
        if (i >= warmup) {
            run.tap_to_ticket_ms.push_back(ms_between(t0, t1));
            run.issue_ms.push_back(issue_ms);
        }
        flow.handle(ui::ev::Done{});
        flow.handle(ui::ev::TapFeature{ui::Feature::QueueTicket});
    }
    return run;
}

// --- f. whole frame per screen -------------------------------------------------------------------------

constexpr const char* kPortrait = "1080x1920";

std::vector<std::string> sized(std::vector<std::string> argv, const char* size) {
    const auto w = std::find(argv.begin(), argv.end(), std::string("--windowed"));
    if (w != argv.end() && w + 1 != argv.end()) *(w + 1) = size;
    return argv;
}

// The renderer SDL gave the kiosk, from its log line "video driver x11, renderer opengl".
std::string renderer_in_log(const fs::path& log) {
    const std::string text = read_text(log);
    const auto at = text.rfind(", renderer ");
    if (at == std::string::npos) return "?";
    const auto b = at + std::strlen(", renderer ");
    return text.substr(b, text.find_first_of("\r\n", b) - b);
}

// Environment variables for one run, restored afterwards.
class ScopedEnv {
public:
    explicit ScopedEnv(std::vector<std::pair<std::string, std::string>> vars) {
        for (auto& [k, v] : vars) {
            const char* old = std::getenv(k.c_str());
            saved_.emplace_back(k, old ? std::optional<std::string>(old) : std::nullopt);
            ::setenv(k.c_str(), v.c_str(), 1);
        }
    }
    ~ScopedEnv() {
        for (auto& [k, v] : saved_)
            v ? ::setenv(k.c_str(), v->c_str(), 1) : ::unsetenv(k.c_str());
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

struct WholeFrameRun {
    std::vector<Measure> kiosk; // one per screen
    Measure bare;
    std::string kiosk_renderer, bare_renderer;
};

WholeFrameRun whole_frame_run(const Setup& setup, bool headless, int frames, const fs::path& kiosk_log,
                              const fs::path& bare_log) {
    const std::string n = std::to_string(frames);
    // Four screens: welcome, identify (keypad and card picture), the service list, the ticket (QR).
    std::vector<std::string> k =
        sized(kiosk_args(setup, {"--do", "wait welcome; measure " + n +
                                             "; tap feature.identify; wait identify; "
                                             "measure " +
                                             n +
                                             "; tap back; wait welcome; tap "
                                             "feature.queue; wait choose_service; "
                                             "measure " +
                                             n +
                                             "; tap service.KBH; wait ticket; "
                                             "measure " +
                                             n + "; quit"}),
              kPortrait);
    std::vector<std::string> b = sized(bare_args({"--measure", n}), kPortrait);
    if (!headless) {
        k = on_display(std::move(k));
        b = on_display(std::move(b));
    }
    WholeFrameRun r;
    {
        Child c(k, kiosk_log);
        const std::string out = c.read_all(Clock::now() + 900s);
        const int status = c.wait(Clock::now() + 30s);
        r.kiosk = measures_in(out, "KIOSK_MEASURE");
        if (status != 0 || r.kiosk.size() != 4)
            throw std::runtime_error("the kiosk script exited with " + std::to_string(status) +
                                     " and printed " + std::to_string(r.kiosk.size()) +
                                     " of 4 KIOSK_MEASURE lines (see " + kiosk_log.string() + ")");
        r.kiosk_renderer = renderer_in_log(kiosk_log);
    }
    {
        Child c(b, bare_log);
        const auto bm = measures_in(c.read_all(Clock::now() + 600s), "BARE_MEASURE");
        c.wait(Clock::now() + 30s);
        if (bm.size() != 1)
            throw std::runtime_error("bare_imgui printed no BARE_MEASURE line (see " + bare_log.string() +
                                     ")");
        r.bare = bm[0];
    }
    return r;
}

void whole_frames(Table& table, const Setup& setup, int frames) {
    struct Config {
        std::string name;
        bool headless;
        bool software;
        std::vector<std::pair<std::string, std::string>> env;
    };
    // SDL_RENDER_DRIVER picks the renderer; SDL then turns batching off unless SDL_RENDER_BATCHING says
    // otherwise (the kiosk's own choice keeps it on), and without SDL_RENDER_VSYNC=0 a display run would
    // measure the wait for the (simulated) vertical blank rather than the frame.
    const std::vector<std::pair<std::string, std::string>> display_env = {{"SDL_RENDER_BATCHING", "1"},
                                                                          {"SDL_RENDER_VSYNC", "0"}};
    std::vector<Config> configs = {{"software, headless (offscreen driver)", true, true, {}}};
    std::optional<Child> xvfb;
    std::string display;
    if (const auto x = find_xvfb()) {
        display = ":" + std::to_string(190 + ::getpid() % 100);
        xvfb.emplace(std::vector<std::string>{*x, display, "-screen", "0", std::string(kPortrait) + "x24",
                                              "-nolisten", "tcp"},
                     setup.dir / "xvfb-portrait.log");
        std::this_thread::sleep_for(1s); // Xvfb prints nothing when ready; it takes well under 1 s
        auto env = display_env;
        env.emplace_back("DISPLAY", display);
        env.emplace_back("SDL_RENDER_DRIVER", "software");
        configs.push_back({"software, X11 (Xvfb)", false, true, env});
        // SDL shows a software frame on X11 through a texture of another renderer (Mesa's GL here) unless
        // told not to; with this hint it uses X11's own image path (XShm).
        auto native = env;
        native.emplace_back("SDL_FRAMEBUFFER_ACCELERATION", "0");
        configs.push_back({"software, X11 (Xvfb), SDL_FRAMEBUFFER_ACCELERATION=0", false, true, native});
        env.back().second = "opengl";
        configs.push_back({"OpenGL, X11 (Xvfb, Mesa)", false, false, env});
    } else {
        table.note("f. no Xvfb (package xvfb): the X11 software and OpenGL figures were not taken");
    }
    for (const Config& c : configs) {
        table.section("f. whole frame (build + render + present), " + std::string(kPortrait) + ", " + c.name +
                      ", " + std::to_string(frames) + " frames per screen");
        try {
            std::fprintf(stderr, "kiosk_bench: f. whole frame, %s...\n", c.name.c_str());
            const ScopedEnv env(c.env);
            const fs::path klog = setup.dir / ("kiosk.whole." + std::to_string(&c - configs.data()) + ".log");
            const fs::path blog = setup.dir / ("bare.whole." + std::to_string(&c - configs.data()) + ".log");
            const WholeFrameRun r = whole_frame_run(setup, c.headless, frames, klog, blog);
            if (r.bare.frame_mean < 0) throw std::runtime_error("bare_imgui printed no whole-frame figure");
            for (const Measure& m : r.kiosk) {
                if (m.frame_mean < 0) throw std::runtime_error("the kiosk printed no whole-frame figure");
                if (c.software)
                    table.limit("kiosk " + m.screen + ", mean", m.frame_mean, 2, "ms", 16.7, "<= 16.7 ms");
                else
                    table.info("kiosk " + m.screen + ", mean", m.frame_mean, 2, "ms");
                table.info("kiosk " + m.screen + ", p99", m.frame_p99, 2, "ms");
            }
            table.info("bare, mean", r.bare.frame_mean, 2, "ms");
            table.info("bare, p99", r.bare.frame_p99, 2, "ms");
            for (const Measure& m : r.kiosk)
                table.info("ratio kiosk " + m.screen + "/bare (means)", m.frame_mean / r.bare.frame_mean, 1,
                           "x");
            std::string walls;
            for (const Measure& m : r.kiosk)
                walls += " " + m.screen + " " + fmt(m.wall, 1);
            table.note("f. " + c.name + ": renderer reported by the kiosk: " + r.kiosk_renderer +
                       "; loop wall time per forced frame, ms:" + walls + ", bare " + fmt(r.bare.wall, 1));
            if (!c.software && r.kiosk_renderer != "opengl")
                table.note("f. " + c.name +
                           ": SDL could not give the kiosk an OpenGL renderer on this machine "
                           "(it got '" +
                           r.kiosk_renderer + "'): these are not OpenGL figures");
            if (!c.software && r.kiosk_renderer == "opengl")
                table.note("f. " + c.name +
                           ": Mesa's OpenGL here is llvmpipe (CPU rasterisation on this "
                           "machine's cores), not a GPU");
        } catch (const std::exception& e) {
            table.failed("whole frame, " + c.name, e.what());
        }
    }
    if (xvfb) xvfb->stop();
}

// --- main ---------------------------------------------------------------------------------------------

struct Args {
    fs::path dir;
    int runs = 7;
    int frames = 300;
    int tickets = 500;
    int whole_frames = 120;
};

bool parse_int(const char* s, int& out) {
    const std::string_view v(s);
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    return ec == std::errc() && end == v.data() + v.size() && out > 0;
}

} // namespace

int main(int argc, char** argv) {
    Args args;
    args.dir = fs::temp_directory_path();
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--dir" && has_value) {
            args.dir = argv[++i];
        } else if ((a == "--runs" && has_value && parse_int(argv[++i], args.runs)) ||
                   (a == "--frames" && has_value && parse_int(argv[++i], args.frames)) ||
                   (a == "--tickets" && has_value && parse_int(argv[++i], args.tickets)) ||
                   (a == "--whole-frames" && has_value && parse_int(argv[++i], args.whole_frames))) {
        } else {
            std::fprintf(stderr, "usage: kiosk_bench [--dir DIR] [--runs N] [--frames N] [--tickets N] "
                                 "[--whole-frames N]\n");
            return 2;
        }
    }

    std::optional<TempDir> temp;
    try {
        temp.emplace(args.dir, "kiosk-bench");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kiosk_bench: %s\n", e.what());
        return 1;
    }
    Setup setup;
    setup.dir = temp->path();
    const fs::path data_dir = setup.dir / "data";
    setup.config = write_site_config(setup.dir, data_dir);

    utsname u{};
    ::uname(&u);
    std::printf("kiosk_bench — %s\n", now_text().c_str());
    std::printf("machine: %ld CPUs (nproc), %s; Linux %s\n", ::sysconf(_SC_NPROCESSORS_ONLN),
                cpu_model().c_str(), u.release);
    std::printf("build: %s; programs: --headless --windowed %s (SDL offscreen driver, software renderer)\n",
                KIOSK_BENCH_BUILD_TYPE, kScreen);
    std::printf("SDL environment: %s\n", sdl_environment().c_str());
    std::printf("kiosk: %s\nbare:  %s\nscratch: %s on %s\n\n", KIOSK_BINARY, BARE_BINARY, setup.dir.c_str(),
                fs_type(setup.dir, "ticket timings are optimistic").c_str());
    std::fflush(stdout);

    Table table;
    const fs::path kiosk_log = setup.dir / "kiosk.stderr.log";
    const fs::path bare_log = setup.dir / "bare.stderr.log";
    auto progress = [](const char* what) { std::fprintf(stderr, "kiosk_bench: %s...\n", what); };

    // a. start -> first interactive frame.
    table.section("a. start -> first interactive frame (wall clock: spawn .. READY line read on the pipe)");
    try {
        progress("a. start-up runs");
        // One untimed run each: the kiosk creates and migrates its database, and both binaries, their
        // libraries and the fonts are in the page cache. The timed kiosk runs restart on that database.
        start_once(kiosk_args(setup, {"--announce-ready"}), "KIOSK_READY", kiosk_log);
        start_once(bare_args({"--announce-ready"}), "BARE_READY", bare_log);
        std::vector<double> kiosk_ext, kiosk_int, bare_ext, bare_int;
        for (int i = 0; i < args.runs; ++i) {
            const StartRun k = start_once(kiosk_args(setup, {"--announce-ready"}), "KIOSK_READY", kiosk_log);
            kiosk_ext.push_back(k.external_ms);
            kiosk_int.push_back(k.internal_ms);
            const StartRun b = start_once(bare_args({"--announce-ready"}), "BARE_READY", bare_log);
            bare_ext.push_back(b.external_ms);
            bare_int.push_back(b.internal_ms);
        }
        const double km = median(kiosk_ext), bm = median(bare_ext);
        table.info("kiosk, median of " + std::to_string(args.runs), km, 1, "ms");
        table.info("kiosk, min", *std::min_element(kiosk_ext.begin(), kiosk_ext.end()), 1, "ms");
        table.info("bare, median of " + std::to_string(args.runs), bm, 1, "ms");
        table.info("bare, min", *std::min_element(bare_ext.begin(), bare_ext.end()), 1, "ms");
        table.limit("ratio kiosk/bare (medians)", km / bm, 2, "x", 1.5, "<= 1.5 x");
        table.info("kiosk's own KIOSK_READY figure, median", median(kiosk_int), 1, "ms");
        table.info("bare's own BARE_READY figure, median", median(bare_int), 1, "ms");
        table.note("a. runs alternate kiosk/bare after one untimed run of each; every kiosk run reuses one "
                   "data dir (a real kiosk restarts on an existing kiosk.db). Runs, ms: kiosk [" +
                   list(kiosk_ext, 1) + "], bare [" + list(bare_ext, 1) + "]");
    } catch (const std::exception& e) {
        table.failed("start-up", e.what());
    }

    // b. ImGui CPU per frame.
    table.section("b. ImGui CPU per frame (NewFrame..Render), " + std::to_string(args.frames) + " frames");
    try {
        progress("b. ImGui CPU per frame (software rendering of 1080p frames: this takes a while)");
        const std::string n = std::to_string(args.frames);
        Child k(kiosk_args(setup, {"--do", "measure " + n +
                                               "; tap feature.queue; wait choose_service; "
                                               "tap service.KBH; wait ticket; measure " +
                                               n + "; quit"}),
                kiosk_log);
        const std::string out = k.read_all(Clock::now() + 600s);
        const int status = k.wait(Clock::now() + 30s);
        const auto km = measures_in(out, "KIOSK_MEASURE");
        if (status != 0 || km.size() != 2)
            throw std::runtime_error("the kiosk script exited with " + std::to_string(status) +
                                     " and printed " + std::to_string(km.size()) +
                                     " KIOSK_MEASURE lines (see " + kiosk_log.string() + ")");
        Child b(bare_args({"--measure", n}), bare_log);
        const auto bm = measures_in(b.read_all(Clock::now() + 600s), "BARE_MEASURE");
        b.wait(Clock::now() + 30s);
        if (bm.size() != 1) throw std::runtime_error("bare_imgui printed no BARE_MEASURE line");
        for (const auto& m : km) {
            table.limit("kiosk " + m.screen + ", mean", m.mean, 3, "ms", 0.5);
            table.info("kiosk " + m.screen + ", p50", m.p50, 3, "ms");
            table.info("kiosk " + m.screen + ", p99", m.p99, 3, "ms");
        }
        table.info("bare, mean", bm[0].mean, 3, "ms");
        table.info("bare, p50", bm[0].p50, 3, "ms");
        table.info("bare, p99", bm[0].p99, 3, "ms");
        for (const auto& m : km)
            table.info("ratio kiosk " + m.screen + "/bare (means)", m.mean / bm[0].mean, 2, "x");
    } catch (const std::exception& e) {
        table.failed("ImGui CPU per frame", e.what());
    }

    // c + d. Idle CPU and peak RSS, from the same runs.
    std::optional<IdleRun> kiosk_idle, bare_idle;
    try {
        progress("c. idle CPU, kiosk (6 s)");
        kiosk_idle = idle_once(kiosk_args(setup, {"--announce-ready"}), "KIOSK_READY", kiosk_log);
        progress("c. idle CPU, bare (6 s)");
        bare_idle = idle_once(bare_args({"--announce-ready"}), "BARE_READY", bare_log);
    } catch (const std::exception& e) {
        table.section("c. idle CPU / d. peak RSS");
        table.failed("idle runs", e.what());
    }
    // The same on a real display driver (X11 on Xvfb), where SDL_WaitEventTimeout truly sleeps: this is
    // the figure a kiosk with a screen shows, and the one the 1 % target is about.
    std::optional<IdleRun> kiosk_x11, bare_x11;
    if (const auto xvfb = find_xvfb()) {
        try {
            const std::string display = ":" + std::to_string(90 + ::getpid() % 100);
            Child x({*xvfb, display, "-screen", "0", std::string(kScreen) + "x24", "-nolisten", "tcp"},
                    setup.dir / "xvfb.log");
            std::this_thread::sleep_for(1s); // Xvfb prints nothing when ready; it takes well under 1 s
            ::setenv("DISPLAY", display.c_str(), 1);
            progress("c. idle CPU on X11, kiosk (6 s)");
            kiosk_x11 =
                idle_once(on_display(kiosk_args(setup, {"--announce-ready"})), "KIOSK_READY", kiosk_log);
            progress("c. idle CPU on X11, bare (6 s)");
            bare_x11 = idle_once(on_display(bare_args({"--announce-ready"})), "BARE_READY", bare_log);
            ::unsetenv("DISPLAY");
        } catch (const std::exception& e) {
            ::unsetenv("DISPLAY");
            table.section("c. idle CPU on X11 (Xvfb)");
            table.failed("idle runs on X11", e.what());
        }
    }
    if (kiosk_x11 && bare_x11) {
        table.section("c. idle CPU on the welcome screen, X11 display driver (Xvfb), over " +
                      fmt(kiosk_x11->window_s, 1) + " s, 1 s after READY");
        table.limit("kiosk", kiosk_x11->cpu_percent, 2, "% core", 1.0);
        table.info("bare", bare_x11->cpu_percent, 2, "% core");
        table.info("kiosk main-thread wakeups", kiosk_x11->wakeups_per_s, 1, "/s");
        table.info("bare main-thread wakeups", bare_x11->wakeups_per_s, 1, "/s");
    }
    if (kiosk_idle && bare_idle) {
        table.section("c. idle CPU, headless (offscreen driver) (utime+stime over " +
                      fmt(kiosk_idle->window_s, 1) + " s, 1 s after READY; resolution " +
                      fmt(100.0 / (static_cast<double>(::sysconf(_SC_CLK_TCK)) * kiosk_idle->window_s), 1) +
                      " %)");
        table.info("kiosk (headless)", kiosk_idle->cpu_percent, 2, "% core");
        table.info("bare (headless)", bare_idle->cpu_percent, 2, "% core");
        table.info("kiosk main-thread wakeups", kiosk_idle->wakeups_per_s, 0, "/s");
        table.info("bare main-thread wakeups", bare_idle->wakeups_per_s, 0, "/s");
        table.note("c. SDL's offscreen driver cannot block in SDL_WaitEventTimeout, so SDL polls every 1 ms "
                   "there (hundreds of wakeups/s in both programs); on a display driver (x11, wayland, "
                   "kmsdrm) the loop sleeps until an event or the kiosk's next-minute wake-up. Headless "
                   "idle CPU is therefore SDL's floor, not the kiosk's: compare it with bare's.");
        table.section("d. peak RSS (VmHWM just before SIGTERM, idle runs)");
        const double k = static_cast<double>(kiosk_idle->hwm_kb) / 1024.0;
        const double b = static_cast<double>(bare_idle->hwm_kb) / 1024.0;
        table.info("kiosk", k, 1, "MiB");
        table.info("bare", b, 1, "MiB");
        table.limit("kiosk - bare", k - b, 1, "MiB", 30.0);
    }

    // e. Tap -> ticket durably stored.
    table.section("e. tap -> ticket durably stored, in-process, " + std::to_string(args.tickets) +
                  " tickets (Flow + Worker + SQLite FULL/WAL + MainQueue)");
    try {
        progress("e. tap -> ticket stored");
        const fs::path db_dir = setup.dir / "tap";
        fs::create_directories(db_dir);
        const int warmup = 10;
        const TapRun r = tap_to_ticket(db_dir / "kiosk.db", warmup, args.tickets);
        const Distribution tap = distribution(r.tap_to_ticket_ms);
        const Distribution issue = distribution(r.issue_ms);
        table.info("tap -> TicketIssued, mean", tap.mean, 3, "ms");
        table.info("tap -> TicketIssued, p50", tap.p50, 3, "ms");
        table.limit("tap -> TicketIssued, p99", tap.p99, 3, "ms", 5.0);
        table.info("tap -> TicketIssued, max", tap.max, 3, "ms");
        table.info("store.issue() alone, p50", issue.p50, 3, "ms");
        table.info("store.issue() alone, p99", issue.p99, 3, "ms");
        table.info("store.issue() alone, max", issue.max, 3, "ms");
        table.note("e. a fresh kiosk.db in the scratch dir; " + std::to_string(warmup) +
                   " untimed tickets first; no logging (the kiosk logs one line per ticket); p99 = the " +
                   "sorted sample at n*99/100, as KIOSK_MEASURE does");
    } catch (const std::exception& e) {
        table.failed("tap -> ticket stored", e.what());
    }

    whole_frames(table, setup, args.whole_frames);

    table.note(
        "targets are goals, not tests: a figure over its target prints OVER and the exit status stays 0");
    if (table.failures() > 0) {
        temp->keep();
        table.note("scratch dir kept for its logs: " + setup.dir.string());
    }
    table.print();
    return table.failures() > 0 ? 1 : 0;
}
